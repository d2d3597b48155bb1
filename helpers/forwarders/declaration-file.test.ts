import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { schemaValidator } from '../report/testing/schema-validator.js';
import { DEFAULT_DECLARATION, declarationJsonSchema, loadDeclaration } from './declaration-file.js';

const FORWARDERS = new URL('../../fixtures/forwarders/', import.meta.url);
const SCHEMA_FILE = new URL('declaration.schema.json', FORWARDERS);
const EXAMPLES = readdirSync(FORWARDERS).filter((name) => name.endsWith('.declaration.json'));

describe('the forwarder declaration schema', () => {
  test('fixtures/forwarders/declaration.schema.json is the one generated from the zod schema (regenerate: node dist/mqtt-testbench.mjs schema declaration --write)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(declarationJsonSchema());
  });

  test('the examples are a correct forwarder, a lossy QoS 0 one and the flawed C forwarder', () => {
    expect(EXAMPLES.sort()).toEqual([
      'c-forwarder.declaration.json',
      'correct.declaration.json',
      'lossy-qos0.declaration.json',
    ]);
  });

  test.each(EXAMPLES)('%s is valid by the JSON Schema and by the loader the suites use', (name) => {
    const file = new URL(name, FORWARDERS);
    expect(schemaValidator(SCHEMA_FILE)(JSON.parse(readFileSync(file, 'utf8')))).toEqual([]);
    expect(loadDeclaration(fileURLToPath(file)).routes.length).toBeGreaterThan(0);
  });

  test('the correct example declares what the suites expect without a declaration', () => {
    const { notes: _declared, ...promises } = loadDeclaration(
      fileURLToPath(new URL('correct.declaration.json', FORWARDERS)),
    );
    const { notes: _default, ...expected } = DEFAULT_DECLARATION;
    expect(promises).toEqual(expected);
  });

  test('the JSON Schema refuses what the loader refuses: an unknown field, a missing promise, a bad QoS policy', () => {
    const validate = schemaValidator(SCHEMA_FILE);
    const correct = JSON.parse(readFileSync(new URL('correct.declaration.json', FORWARDERS), 'utf8')) as Record<
      string,
      unknown
    >;
    const { losslessAcrossRestart: _dropped, ...missing } = correct;
    expect(validate({ ...correct, lossless: true })).toEqual([' must NOT have additional properties']);
    expect(validate(missing)).toEqual([" must have required property 'losslessAcrossRestart'"]);
    expect(validate({ ...correct, qos: { policy: 'max' } }).join('\n')).toMatch(
      /\/qos must match exactly one schema in oneOf/,
    );
    expect(validate({ ...correct, routes: [] })).toEqual(['/routes must NOT have fewer than 1 items']);
  });
});
