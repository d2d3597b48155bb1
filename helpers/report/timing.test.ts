import { describe, expect, test } from 'vitest';
import { renderConsoleSummary } from './console-summary.js';
import { renderMarkdown } from './markdown.js';
import { syntheticReport } from './testing/synthetic.js';
import { slowestFiles, totalPhases } from './timing.js';

const phases = (start: number, measurement: number, waiting: number) => ({
  teardown: 500,
  readiness: 300,
  start,
  waiting,
  measurement,
  other: 1_000,
});

function timedReport() {
  const report = syntheticReport();
  report.timing = {
    files: [
      {
        file: 'suites/faults.test.ts',
        project: 'suites',
        durationMs: 70_200,
        beganMs: 133_000,
        phases: phases(12_100, 41_000, 15_300),
      },
      { file: 'suites/qos-matrix.test.ts', project: 'suites', durationMs: 11_100, phases: phases(2_000, 0, 7_300) },
      { file: 'helpers/load/run-load.test.ts', project: 'unit', durationMs: 2_100 },
    ],
  };
  return report;
}

describe('where the time went', () => {
  test('the console lists the slowest files with their phases', () => {
    expect(slowestFiles(timedReport(), 2)).toEqual([
      'suites/faults.test.ts 1 min 10 s from +2 min 13 s (teardown 500 ms · readiness 300 ms · start 12.1 s · waiting 15.3 s · measurement 41.0 s · other 1.0 s)',
      'suites/qos-matrix.test.ts 11.1 s (teardown 500 ms · readiness 300 ms · start 2.0 s · waiting 7.3 s · other 1.0 s)',
    ]);
    expect(renderConsoleSummary(timedReport())).toMatch(/slowest test files:\n {2}suites\/faults\.test\.ts 1 min 10 s/);
  });

  test('report.md has a table per file and the totals per phase', () => {
    const md = renderMarkdown(timedReport());
    expect(md).toContain('## Where the time went');
    expect(md).toContain(
      '| suites/faults.test.ts | suites | +2 min 13 s | 1 min 10 s | 500 ms | 300 ms | 12.1 s | 15.3 s | 41.0 s | 1.0 s |',
    );
    expect(md).toContain('| helpers/load/run-load.test.ts | unit | – | 2.1 s | – | – | – | – | – | – |');
    expect(totalPhases(timedReport().timing?.files ?? [])).toMatchObject({ start: 14_100, waiting: 22_600 });
  });
});
