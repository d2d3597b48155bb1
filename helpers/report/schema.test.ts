import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { compareWithBaseline } from './baseline.js';
import { mergeReports } from './merge.js';
import { parseReport, ReportReadError } from './read-report.js';
import { reportJsonSchema } from './schema.js';
import { schemaValidator } from './testing/schema-validator.js';
import { syntheticReport } from './testing/synthetic.js';

const SCHEMA_FILE = new URL('./report.schema.json', import.meta.url);

describe('report.schema.json', () => {
  test('is the schema generated from the zod model (regenerate: node dist/mqtt-testbench.mjs schema --write)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(reportJsonSchema());
  });

  test('accepts reports as the reporter, the baseline comparison and merge write them', () => {
    const validate = schemaValidator();
    const report = syntheticReport({ lost: 2 });
    report.baseline = compareWithBaseline(report, syntheticReport({ seed: 4 }), {
      force: false,
      baselineFile: 'b.json',
    });
    expect(validate(JSON.parse(JSON.stringify(report)))).toEqual([]);
    const merged = mergeReports(
      [
        { report: syntheticReport({ runId: 'a' }), file: 'a' },
        { report: syntheticReport({ runId: 'b', seed: 2 }), file: 'b' },
      ],
      { mode: 'repeats' },
    );
    expect(validate(JSON.parse(JSON.stringify(merged)))).toEqual([]);
  });

  test('rejects a report that lost a required field or carries a wrong type', () => {
    const validate = schemaValidator();
    const report = JSON.parse(JSON.stringify(syntheticReport())) as Record<string, unknown>;
    delete report['environment'];
    (report['results'] as Record<string, unknown>[])[0]!['verdict'] = 'maybe';
    const errors = validate(report);
    expect(errors.join('\n')).toMatch(/must have required property 'environment'/);
    expect(errors.join('\n')).toMatch(/\/results\/0\/verdict must be equal to one of the allowed values/);
  });

  test('allows fields it does not know (adding an optional field keeps schemaVersion)', () => {
    const report = JSON.parse(JSON.stringify(syntheticReport())) as Record<string, unknown>;
    report['somethingNew'] = { x: 1 };
    (report['results'] as Record<string, unknown>[])[0]!['newFigure'] = 3;
    expect(schemaValidator()(report)).toEqual([]);
  });
});

describe('reading reports', () => {
  test('says what is wrong: not a report, another schemaVersion, a field that does not fit', () => {
    expect(() => parseReport([], 'x.json')).toThrow(ReportReadError);
    expect(() => parseReport({ results: [] }, 'x.json')).toThrow(/x\.json is not a mqtt-testbench report/);
    const report = JSON.parse(JSON.stringify(syntheticReport())) as Record<string, unknown>;
    expect(() => parseReport({ ...report, schemaVersion: 1 }, 'old.json')).toThrow(
      /old\.json has schemaVersion 1; this mqtt-testbench reads schemaVersion 2/,
    );
    expect(() => parseReport({ ...report, tests: { total: 'many' } }, 'bad.json')).toThrow(
      /bad\.json does not match the report schema: tests\.total: /,
    );
    expect(parseReport(report, 'ok.json').run.id).toBe('20261122-120000-000001');
  });
});
