import { describe, expect, test } from 'vitest';
import type { CpuShares } from '../stats/cpu-shares.js';
import { judgeTiming, onlyTimingBroken, type TimingJudgement } from './timing-verdict.js';

const QUIET = { saturated: false, reasons: [] };
const SATURATED = { saturated: true, reasons: ['harness event loop busy 100%'] };

function cpu(harness: number, sut: number | null, busy: number | null): CpuShares {
  return {
    windowMs: 4_000,
    machineCores: 2,
    machineBusyCores: busy,
    harnessCores: harness,
    systemUnderTestCores: sut,
    ...(sut === null ? { systemUnderTestUnknown: 'aedes (embedded): in the test process' } : {}),
  };
}

/** The judgement's kind, and its reason or evidence matching `text`. */
function expectJudgement(judgement: TimingJudgement, kind: TimingJudgement['kind'], text: RegExp): void {
  expect(judgement.kind).toBe(kind);
  const words =
    judgement.kind === 'inconclusive'
      ? judgement.reason
      : judgement.kind === 'system-under-test'
        ? judgement.evidence
        : '';
  expect(words).toMatch(text);
}

describe('who a failed timing gate is blamed on', () => {
  test('nothing failed: sound, however busy the machine was', () => {
    expect(judgeTiming(0, SATURATED, cpu(1.9, 0.05, 2))).toEqual({ kind: 'sound' });
  });

  test('a machine with idle cores: the system under test, unless the harness fell behind on its own', () => {
    expect(judgeTiming(1, QUIET, cpu(0.2, 0.3, 0.6))).toEqual({ kind: 'sound' });
    expectJudgement(
      judgeTiming(1, SATURATED, cpu(0.98, 0.3, 1.3)),
      'inconclusive',
      /harness was saturated \(harness event loop busy 100%\) while the machine had idle cores/,
    );
  });

  test('a CPU-bound machine whose CPU the system under test took: it is blamed, saturated harness or not', () => {
    for (const harness of [QUIET, SATURATED]) {
      expectJudgement(
        judgeTiming(1, harness, cpu(0.4, 1.5, 1.98)),
        'system-under-test',
        /system under test took most of it \(CPU over 4\.0 s: harness 0\.40 cores, system under test 1\.50, other processes 0\.08/,
      );
    }
  });

  test('a CPU-bound machine whose CPU other processes took (a shared machine): inconclusive, not the system under test', () => {
    // Measured on a shared 2-core machine: rate-500 through the forwarder, p99 185 ms against a 50 ms gate.
    expectJudgement(
      judgeTiming(1, QUIET, cpu(0.121, 0.152, 1.986)),
      'inconclusive',
      /CPU-bound and other processes, not the system under test, took most of it/,
    );
  });

  test('a CPU-bound machine whose CPU the harness took: inconclusive', () => {
    expectJudgement(
      judgeTiming(2, SATURATED, cpu(1.2, 0.5, 1.9)),
      'inconclusive',
      /and the harness, not the system under test, took most of it/,
    );
  });

  test("a CPU-bound machine where the system under test's CPU is not visible (embedded, external): inconclusive", () => {
    expectJudgement(judgeTiming(1, QUIET, cpu(1.5, null, 1.95)), 'inconclusive', /share is not visible/);
  });

  test("without the machine's CPU figures only the harness's own diagnosis counts", () => {
    expect(judgeTiming(1, QUIET, null)).toEqual({ kind: 'sound' });
    expect(judgeTiming(1, SATURATED, null)).toMatchObject({ kind: 'inconclusive' });
    expect(judgeTiming(1, SATURATED, cpu(0.5, 0.5, null))).toMatchObject({ kind: 'inconclusive' });
  });
});

describe('onlyTimingBroken: which failures a rerun may decide', () => {
  const gate = (figure: string, passed: boolean) =>
    ({
      name: figure,
      figure,
      comparison: '<=',
      limit: 1,
      measured: passed ? 0 : 2,
      unit: 'ms',
      passed,
      source: 'test',
    }) as const;

  test('a broken p99 gate alone is rerun', () => {
    expect(onlyTimingBroken([gate('p99Ms', false), gate('lossRate', true)], 0)).toBe(true);
  });
  test('nothing broken, nothing to rerun', () => {
    expect(onlyTimingBroken([gate('p99Ms', true), gate('lossRate', true)], 0)).toBe(false);
  });
  test('a broken loss gate beside the p99 one is a failure at once', () => {
    expect(onlyTimingBroken([gate('p99Ms', false), gate('lossRate', false)], 0)).toBe(false);
  });
  test('a delivery problem (corruption, errors, never acknowledged) is a failure at once', () => {
    expect(onlyTimingBroken([gate('p99Ms', false)], 1)).toBe(false);
  });
});
