import { describe, expect, test } from 'vitest';
import { compareWithBaseline, fingerprintDifferences } from './baseline.js';
import { buildReport } from './build-report.js';
import type { ReportResult, TestbenchReport } from './report-types.js';
import { collected, loadResult, MOSQUITTO, syntheticPlan, syntheticReport, topology } from './testing/synthetic.js';
import { DEFAULT_TOLERANCES, tolerancesFor, type ToleranceConfig } from './tolerances.js';

const OPTIONS = { force: false, baselineFile: 'fixtures/baselines/x.json' };

/** A report with one scenario run `runs` times (vitest repeats), each with the given median latency and loss. */
function reportOf(
  runs: { medianUs: number; lost?: number; ratePerSec?: number; saturated?: boolean }[],
  runId = 'r',
): TestbenchReport {
  const results = runs.map((run, i) => {
    const result = loadResult({
      subject: topology('reference'),
      sent: 2000,
      lost: run.lost ?? 0,
      medianUs: run.medianUs,
      seed: i + 1,
      ratePerSec: run.ratePerSec ?? 200,
      lossLimit: 1,
    });
    if (run.ratePerSec !== undefined && result.throughput) result.throughput.receivePerSec = run.ratePerSec;
    if (run.saturated) result.diagnostics = { harnessSaturated: true, reasons: ['event loop busy'] };
    return result;
  });
  return buildReport({
    runId,
    plan: syntheticPlan(),
    tests: [collected(results)],
    startedAt: new Date(0),
    finishedAt: new Date(1000),
    state: 'passed',
    errors: [],
    command: 'test',
    generatorVersion: 't',
    env: {},
  });
}

function figure(report: TestbenchReport, baseline: TestbenchReport, name: string, tolerances?: ToleranceConfig) {
  const section = compareWithBaseline(report, baseline, { ...OPTIONS, ...(tolerances ? { tolerances } : {}) });
  return { section, f: section.comparisons[0]?.figures.find((x) => x.figure === name) };
}

describe('baseline comparison', () => {
  test('the same run compares clean', () => {
    const report = syntheticReport();
    const section = compareWithBaseline(report, report, OPTIONS);
    expect(section.verdict).toBe('pass');
    expect(section.regressions).toBe(0);
    expect(section.comparisons.length).toBe(report.results.filter((r) => r.counters && !r.qosCell).length);
    expect(section.missing).toEqual([]);
  });

  test('latency beyond the relative tolerance is a regression, with the delta and the limit', () => {
    const { section, f } = figure(reportOf([{ medianUs: 8000 }]), reportOf([{ medianUs: 4000 }]), 'p50Us');
    expect(f?.status).toBe('regressed');
    expect(f?.deltaRel).toBeCloseTo(1, 1);
    expect(f?.limit).toBeCloseTo(f!.baseline.median * 1.25, 0);
    expect(section.verdict).toBe('fail');
    expect(section.message).toMatch(/regression\(s\) beyond tolerance.*p50 .* ms → .* ms \(\+\d+ %, limit/);
  });

  test('a small latency change within tolerance is ok', () => {
    expect(figure(reportOf([{ medianUs: 1100 }]), reportOf([{ medianUs: 1000 }]), 'p50Us').f?.status).toBe('ok');
  });

  test('sub-millisecond jitter below the absolute slack is not a regression even when relatively large', () => {
    // 200 µs → 300 µs is +50 %, but below the 500 µs slack.
    expect(figure(reportOf([{ medianUs: 300 }]), reportOf([{ medianUs: 200 }]), 'p50Us').f?.status).toBe('ok');
  });

  test('throughput below the relative tolerance is a regression', () => {
    const { f } = figure(
      reportOf([{ medianUs: 1000, ratePerSec: 150 }]),
      reportOf([{ medianUs: 1000, ratePerSec: 200 }]),
      'receivePerSec',
    );
    expect(f).toMatchObject({ status: 'regressed', deltaRel: -0.25 });
  });

  test('loss is compared in absolute percentage points', () => {
    const current = reportOf([{ medianUs: 1000, lost: 4 }]); // 0.2 %
    const { f } = figure(current, reportOf([{ medianUs: 1000, lost: 0 }]), 'lossRate');
    expect(f?.status).toBe('regressed');
    expect(f?.delta).toBeCloseTo(0.002, 6);
    expect(figure(reportOf([{ medianUs: 1000, lost: 1 }]), reportOf([{ medianUs: 1000 }]), 'lossRate').f?.status).toBe(
      'ok',
    ); // 0.05 pp
  });

  test('with repeats the medians are compared and a change inside the baseline spread is noise', () => {
    // Baseline runs 1.0, 1.6, 2.2 ms: median 1.6 ms, slowest 2.2 ms. Current median 2.1 ms (+31 %) stays below the slowest run.
    const baseline = reportOf([{ medianUs: 1000 }, { medianUs: 1600 }, { medianUs: 2200 }]);
    const current = reportOf([{ medianUs: 2050 }, { medianUs: 2100 }, { medianUs: 2150 }]);
    const { f } = figure(current, baseline, 'p50Us');
    expect(f?.baseline.n).toBe(3);
    expect(f?.current.n).toBe(3);
    expect(f?.baseline.max).toBeGreaterThan(f!.baseline.median * 1.25);
    expect(f?.status).toBe('ok');
    expect(f?.rule).toMatch(/slowest baseline run/);
  });

  test('a latency change of a run whose harness was saturated (CPU not measured) is inconclusive, not a pass', () => {
    const { section, f } = figure(
      reportOf([{ medianUs: 5000, saturated: true }]),
      reportOf([{ medianUs: 1000 }]),
      'p99Us',
    );
    expect(f?.status).toBe('untrusted');
    expect(section.verdict).toBe('inconclusive');
    expect(section.message).toMatch(/inconclusive/);
  });

  test('a saturated baseline never disables the comparison: a regression against it is a regression', () => {
    const { section, f } = figure(
      reportOf([{ medianUs: 5000 }]),
      reportOf([{ medianUs: 1000, saturated: true }]),
      'p99Us',
    );
    expect(f?.status).toBe('regressed');
    expect(section.verdict).toBe('fail');
    expect(section.comparisons[0]?.baselineSaturated).toBe(true);
    expect(section.message).toMatch(/harness was saturated .* save a new baseline/);
  });

  test('an improvement against a saturated baseline is not claimed', () => {
    const { f } = figure(reportOf([{ medianUs: 500 }]), reportOf([{ medianUs: 1000, saturated: true }]), 'p99Us');
    expect(f?.status).toBe('ok');
  });

  test('tolerances come from the file, with per-scenario overrides', () => {
    const config: ToleranceConfig = {
      source: 'tolerances.json',
      file: {
        default: { latencyP50Rel: 2 },
        overrides: [{ suite: 'forwarding-loss', scenario: 'medium', latencyP50Rel: 0.1 }],
      },
    };
    expect(tolerancesFor(config, { suite: 'retain', scenario: 'x', subject: 'y' })).toEqual({
      ...DEFAULT_TOLERANCES,
      latencyP50Rel: 2,
    });
    expect(tolerancesFor(config, { suite: 'forwarding-loss', scenario: 'medium', subject: 'y' }).latencyP50Rel).toBe(
      0.1,
    );
    expect(
      figure(reportOf([{ medianUs: 2000 }]), reportOf([{ medianUs: 1000 }]), 'p50Us', {
        source: 't',
        file: { default: { latencyP50Rel: 2 } },
      }).f?.status,
    ).toBe('ok');
  });

  test('scenarios only in one of the reports are listed, not compared', () => {
    const baseline = syntheticReport();
    const current = syntheticReport({ seed: 2 });
    const dropped = current.results.shift() as ReportResult;
    const added = { ...dropped, key: 'forwarding-loss | brand-new | x | v4 | q1' };
    current.results.push(added);
    const section = compareWithBaseline(current, baseline, OPTIONS);
    expect(section.missing).toContain(dropped.key);
    expect(section.added).toEqual([added.key]);
  });
});

describe('environment fingerprints', () => {
  test('differences are named: runtime, CPUs, profile, and versions of brokers both runs used', () => {
    const a = {
      id: 'a',
      runtime: 'container',
      cpus: 2,
      profile: 'full',
      targetVersions: ['emqx@5.8.8', 'mosquitto@2.0.11'],
    };
    expect(fingerprintDifferences(a, a)).toEqual([]);
    expect(
      fingerprintDifferences({ ...a, runtime: 'process', cpus: 4, targetVersions: ['mosquitto@2.0.22'] }, a),
    ).toEqual([
      'runtime process here, container in the baseline',
      '4 CPUs here, 2 in the baseline',
      'mosquitto 2.0.22 here, 2.0.11 in the baseline',
    ]);
    // A run that skipped EMQX still compares its Mosquitto scenarios.
    expect(fingerprintDifferences({ ...a, targetVersions: ['mosquitto@2.0.11'] }, a)).toEqual([]);
  });

  test('a different environment is refused with a clear message, unless forced', () => {
    const baseline = syntheticReport();
    const current = syntheticReport({ seed: 2 });
    current.environment.fingerprint = { ...current.environment.fingerprint, cpus: 16 };
    const refused = compareWithBaseline(current, baseline, OPTIONS);
    expect(refused.verdict).toBe('refused');
    expect(refused.comparisons).toEqual([]);
    expect(refused.message).toMatch(/environments differ \(16 CPUs here, 2 in the baseline\).*--force-baseline/);
    const forced = compareWithBaseline(current, baseline, { ...OPTIONS, force: true });
    expect(forced.verdict).toBe('pass');
    expect(forced.message).toMatch(/forced although the environments differ/);
  });

  test('the fingerprint id names runtime, CPUs and profile and hashes the broker versions', () => {
    const report = buildReport({
      runId: 'x',
      plan: syntheticPlan(),
      tests: [collected([loadResult({ subject: MOSQUITTO })])],
      startedAt: new Date(0),
      finishedAt: new Date(0),
      state: 'passed',
      errors: [],
      command: '',
      generatorVersion: '',
      env: {},
    });
    expect(report.environment.fingerprint).toMatchObject({
      runtime: 'container',
      cpus: 2,
      profile: 'ci',
      targetVersions: ['mosquitto@2.0.11'],
    });
    expect(report.environment.fingerprint.id).toMatch(/^container-2cpu-ci-[0-9a-f]{8}$/);
  });
});
