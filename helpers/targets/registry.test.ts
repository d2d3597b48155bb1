import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadSettings } from '../config/settings.js';
import { PAIRINGS, TARGET_NAMES, TARGET_SETTINGS, TARGETS } from './registry.js';
import { TARGET_TABLE_END, TARGET_TABLE_START, targetTable } from './target-table.js';

const TARGETS_DOC = new URL('../../docs/targets.md', import.meta.url);

describe('the target registry', () => {
  test('names are unique and every pairing joins two different registered targets', () => {
    expect(new Set(TARGET_NAMES).size).toBe(TARGET_NAMES.length);
    for (const [down, up] of PAIRINGS) {
      expect(TARGET_NAMES, `pairing ${down} → ${up}`).toContain(down);
      expect(TARGET_NAMES, `pairing ${down} → ${up}`).toContain(up);
      expect(down, 'a pairing is a mixed topology; every target already forwards to itself').not.toBe(up);
    }
  });

  test('target settings are unique MQTT_TESTBENCH_* names; an image default pins a version', () => {
    const names = TARGET_SETTINGS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const spec of TARGET_SETTINGS) {
      expect(spec.name).toMatch(/^MQTT_TESTBENCH_[A-Z0-9_]+$/);
      if (spec.kind === 'image') expect(spec.defaultValue, spec.name).toMatch(/:\d+(\.\d+)+/);
    }
  });

  test.each(TARGETS.flatMap((t) => t.runtimes.map((runtime) => [t.name, runtime] as const)))(
    "%s's behaviour table (%s) says what the broker does and where it documents it",
    (name, runtime) => {
      const target = TARGETS.find((t) => t.name === name);
      const settings = loadSettings({ MQTT_TESTBENCH_EXTERNAL_URL: 'mqtt://127.0.0.1:1883' });
      const behaviour = target?.behaviour(settings, runtime);
      expect(behaviour?.version).toBeTruthy();
      const { version: _version, notes: _notes, limits, ...entries } = behaviour ?? { limits: [] };
      for (const [entry, documented] of [...Object.entries(entries), ...limits.map((l) => ['limit', l] as const)]) {
        expect(documented.says.length, `${name}.${entry}: says nothing`).toBeGreaterThan(10);
        expect(documented.source, `${name}.${entry}: no source`).toMatch(
          /^(https:\/\/|docs\/configuration\.md|the MQTT spec)/,
        );
      }
    },
  );

  test("docs/targets.md's target table is the registry's (regenerate: the block between the markers is targetTable())", () => {
    const readme = readFileSync(TARGETS_DOC, 'utf8');
    const start = readme.indexOf(TARGET_TABLE_START);
    const end = readme.indexOf(TARGET_TABLE_END);
    expect(start, `docs/targets.md lacks ${TARGET_TABLE_START}`).toBeGreaterThan(0);
    expect(readme.slice(start + TARGET_TABLE_START.length, end).trim()).toBe(targetTable());
  });
});
