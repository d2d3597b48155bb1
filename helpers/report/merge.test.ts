import { describe, expect, test } from 'vitest';
import { combineResults } from './combine.js';
import { mergeHistograms } from './histogram.js';
import { mergeReports } from './merge.js';
import type { ReportResult } from './report-types.js';
import { collected, loadResult, MOSQUITTO, syntheticReport } from './testing/synthetic.js';

function asReportResult(result: ReturnType<typeof loadResult>, runId = 'r1'): ReportResult {
  return {
    ...result,
    key: `k-${runId}`,
    test: { name: 't', fullName: 't', file: 'f', project: 'suites', state: 'passed', durationMs: 100 },
    verdict: 'pass',
  };
}

describe('combining repeated runs of one scenario', () => {
  const a = asReportResult(loadResult({ sent: 1000, lost: 0, medianUs: 1000, seed: 1, seconds: 10 }));
  const b = asReportResult(loadResult({ sent: 1000, lost: 4, medianUs: 3000, seed: 2, seconds: 5 }));
  const combined = combineResults(
    [
      { result: a, runId: 'r1' },
      { result: b, runId: 'r2' },
    ],
    'repeats',
  );

  test('sums counters and merges the histograms exactly', () => {
    expect(combined.counters).toMatchObject({ sent: 2000, received: 1996, lost: 4 });
    const exact = mergeHistograms([a.latency?.histogram as string, b.latency?.histogram as string]);
    expect(combined.latency?.count).toBe(1996);
    expect(combined.latency?.p99).toBe(Math.min(exact?.getValueAtPercentile(99) as number, exact?.maxValue as number));
  });

  test('takes throughput over the total measured time', () => {
    expect(combined.throughput?.durationMs).toBe(15_000);
    expect(combined.throughput?.receivePerSec).toBeCloseTo(1996 / 15, 0);
  });

  test('keeps each run as a repeat for medians and spread', () => {
    expect(combined.repeats?.map((r) => r.runId)).toEqual(['r1', 'r2']);
    expect(combined.repeats?.[1]).toMatchObject({ sent: 1000, lost: 4, lossRate: 0.004 });
  });

  test('re-evaluates gates on the combined figures', () => {
    // 4 lost of 2,000 is 0.2 %: above the 0.1 % limit although run 1 passed.
    expect(combined.gates?.[0]).toMatchObject({ figure: 'lossRate', measured: 0.002, passed: false });
    expect(combined.verdict).toBe('fail');
  });
});

describe('combining workers that ran at the same time', () => {
  test('adds rates, keeps the longest window, adds per-second series', () => {
    const a = asReportResult(loadResult({ sent: 1000, seconds: 10, seed: 1 }));
    const b = asReportResult(loadResult({ sent: 2000, seconds: 10, seed: 2 }));
    const combined = combineResults(
      [
        { result: a, runId: 'w1' },
        { result: b, runId: 'w2' },
      ],
      'workers',
    );
    expect(combined.throughput).toMatchObject({ receivePerSec: 300, durationMs: 10_000 });
    expect(combined.periods?.[0]?.publishPerSec).toBe(
      (a.periods?.[0]?.publishPerSec ?? 0) + (b.periods?.[0]?.publishPerSec ?? 0),
    );
    expect(combined.repeats).toBeUndefined();
  });
});

describe('merging reports', () => {
  const first = syntheticReport({ seed: 1, runId: 'run-a' });
  const second = syntheticReport({ seed: 2, runId: 'run-b' });

  test('repeats: one result per key, counters summed, test counts added, inputs listed', () => {
    const merged = mergeReports(
      [
        { report: first, file: 'a.json' },
        { report: second, file: 'b.json' },
      ],
      { mode: 'repeats' },
    );
    expect(merged.results).toHaveLength(first.results.length);
    const key = first.results.find((r) => r.counters && r.latency)?.key as string;
    const m = merged.results.find((r) => r.key === key);
    const x = first.results.find((r) => r.key === key);
    const y = second.results.find((r) => r.key === key);
    expect(m?.counters?.sent).toBe((x?.counters?.sent ?? 0) + (y?.counters?.sent ?? 0));
    expect(m?.latency?.count).toBe((x?.latency?.count ?? 0) + (y?.latency?.count ?? 0));
    expect(m?.repeats).toHaveLength(2);
    expect(merged.tests.total).toBe(first.tests.total + second.tests.total);
    expect(merged.run.mergedFrom?.map((i) => i.runId)).toEqual(['run-a', 'run-b']);
    expect(merged.run.id).toMatch(/^merged-/);
  });

  test('refuses to merge a run with itself', () => {
    expect(() =>
      mergeReports(
        [
          { report: first, file: 'a.json' },
          { report: first, file: 'copy.json' },
        ],
        { mode: 'repeats' },
      ),
    ).toThrow(/same run \(run-a\)/);
  });

  test('refuses repeats from different environments unless forced', () => {
    const other = syntheticReport({ seed: 3, runId: 'run-c' });
    other.environment.fingerprint = { ...other.environment.fingerprint, cpus: 8 };
    expect(() =>
      mergeReports(
        [
          { report: first, file: 'a.json' },
          { report: other, file: 'c.json' },
        ],
        { mode: 'repeats' },
      ),
    ).toThrow(/8 CPUs here, 2 in the baseline|different environment/);
    expect(
      mergeReports(
        [
          { report: first, file: 'a.json' },
          { report: other, file: 'c.json' },
        ],
        { mode: 'repeats', force: true },
      ).results.length,
    ).toBeGreaterThan(0);
  });

  test('a failing input makes the merge fail', () => {
    const failing = syntheticReport({
      runId: 'run-f',
      tests: [collected([loadResult({ subject: MOSQUITTO, lost: 500, sent: 1000 })], 'failed')],
    });
    const merged = mergeReports(
      [
        { report: first, file: 'a.json' },
        { report: failing, file: 'f.json' },
      ],
      { mode: 'repeats', force: true },
    );
    expect(merged.verdict).toBe('fail');
  });
});
