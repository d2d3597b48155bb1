import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const SCHEMA_FILE = new URL('../report.schema.json', import.meta.url);

/** A committed JSON Schema (default: report.schema.json) compiled by an independent validator (ajv, draft 2020-12); returns the errors. */
export function schemaValidator(schemaFile: URL = SCHEMA_FILE): (data: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}
