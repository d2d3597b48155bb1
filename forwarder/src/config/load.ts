// Reading the config: where to find it (like the C forwarder: -c FILE, else
// ./config.json, else /etc/mqtt-forwarder.json), JSON errors with line and
// column, then the schema and the semantic checks, all errors at once.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JSON_VALID, describeJsonError, lineAndColumn, scanJson } from '../json/scan.js';
import type { ConfigError } from './errors.js';
import { issuesToErrors } from './issues.js';
import { type Config, configSchema } from './schema.js';
import { checkSemantics } from './validate.js';

/** Searched in order when no -c/--config is given. */
export const DEFAULT_CONFIG_PATHS = ['./config.json', '/etc/mqtt-forwarder.json'] as const;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export type LoadResult =
  | { ok: true; file: string; config: Config; warnings: string[] }
  | { ok: false; file: string | null; errors: ConfigError[] };

/** The config file to use, or null when none of the default locations exists. */
export function locateConfig(explicit: string | undefined, cwd: string): string | null {
  if (explicit !== undefined) return resolve(cwd, explicit);
  for (const candidate of DEFAULT_CONFIG_PATHS) {
    const full = resolve(cwd, candidate);
    if (existsSync(full)) return full;
  }
  return null;
}

function parseJson(bytes: Buffer): { value: unknown } | ConfigError {
  // Editors on Windows may prepend a byte order mark; JSON.parse rejects it.
  const start = UTF8_BOM.every((b, i) => bytes[i] === b) ? UTF8_BOM.length : 0;
  try {
    return { value: JSON.parse(bytes.toString('utf8', start)) as unknown };
  } catch (error) {
    const offset = scanJson(bytes, start);
    if (offset === JSON_VALID) return { path: '', message: `invalid JSON: ${(error as Error).message}` };
    const { line, column } = lineAndColumn(bytes, offset);
    return { path: '', message: `invalid JSON at line ${line}, column ${column}: ${describeJsonError(bytes, offset)}` };
  }
}

/** Validates config text; `file` names it in messages and anchors relative TLS paths. */
export function parseConfig(bytes: Buffer, file: string): LoadResult {
  const parsed = parseJson(bytes);
  if (!('value' in parsed)) return { ok: false, file, errors: [parsed] };
  const result = configSchema.safeParse(parsed.value);
  const errors = result.success ? [] : issuesToErrors(configSchema, result.error.issues, parsed.value);
  const semantic = checkSemantics(parsed.value, dirname(file));
  errors.push(...semantic.errors);
  if (!result.success || errors.length > 0) return { ok: false, file, errors };
  return { ok: true, file, config: result.data, warnings: semantic.warnings };
}

export function loadConfig(explicit: string | undefined, cwd = process.cwd()): LoadResult {
  const file = locateConfig(explicit, cwd);
  if (file === null) {
    return {
      ok: false,
      file: null,
      errors: [
        { path: '', message: `no config file: pass -c FILE, or create one of ${DEFAULT_CONFIG_PATHS.join(', ')}` },
      ],
    };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { ok: false, file, errors: [{ path: '', message: `cannot read ${file}: ${(error as Error).message}` }] };
  }
  return parseConfig(bytes, file);
}
