/**
 * Every MQTT_TESTBENCH_* name the code reads is documented: the test greps the sources (not a list
 * kept by hand) and looks for each name in README.md and docs/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_ROOTS = ['helpers', 'suites', 'forwarder', 'fixtures', '.ci', '.github', 'vitest.config.ts', 'action.yml'];
const SOURCE_FILE = /\.(ts|mts|mjs|js|sh|json|yml|yaml)$/;
const NAME = /MQTT_TESTBENCH_[A-Z0-9]+(?:_[A-Z0-9]+)*/g;
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url));

function filesUnder(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).flatMap((entry) =>
    entry === 'node_modules' || entry === 'dist' ? [] : filesUnder(join(path, entry)),
  );
}

function namesIn(files: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of files) {
    for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(NAME)) {
      if (!names.has(match[0])) names.set(match[0], file);
    }
  }
  return names;
}

const docs = [
  join(ROOT, 'README.md'),
  ...filesUnder('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, f)),
]
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

describe('MQTT_TESTBENCH_* names', () => {
  const sources = SOURCE_ROOTS.flatMap(filesUnder).filter((f) => SOURCE_FILE.test(f) && f !== THIS_FILE);
  const names = namesIn(sources);

  test('the code reads a few dozen of them (the grep works)', () => {
    expect(names.size).toBeGreaterThan(20);
    expect(names.has('MQTT_TESTBENCH_STRICT')).toBe(true);
  });

  test('every name the code reads is in README.md or docs/', () => {
    const undocumented = [...names]
      .filter(([name]) => !new RegExp(`\\b${name}\\b`).test(docs))
      .map(([name, file]) => `${name} (read in ${file})`);
    expect(undocumented).toEqual([]);
  });
});
