/**
 * Synthetic results and reports for the report layer's tests, the browser test and the report
 * screenshot: real HdrHistograms filled from a seeded generator, so merging and percentiles are
 * exercised exactly as with measured data.
 */
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { ResultSubject } from '../../model/index.js';
import { buildReport, type CollectedTest } from '../build-report.js';
import type { RunPlan } from '../../testbed/run-plan.js';
import { emqxBehaviour } from '../../targets/emqx/emqx-behaviour.js';
import { behaviourOf as mosquittoBehaviourOf } from '../../targets/mosquitto/mosquitto-behaviour.js';
import type { LatencySummaryUs, PeriodPoint, QosCell, TestbenchResult } from '../testbench-result.js';
import type { TestbenchReport, TestRef } from '../report-types.js';
import { summarize } from '../histogram.js';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A latency summary from `count` log-normal-ish samples around `medianUs` with a tail. */
export function latencyOf(count: number, medianUs: number, seed = 1, tailFactor = 6): LatencySummaryUs {
  const random = prng(seed);
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
  for (let i = 0; i < count; i += 1) {
    const u = random();
    // Body: median * exp(normal-ish); tail: the slowest 1 % up to tailFactor × median.
    const body = medianUs * Math.exp((random() + random() + random() - 1.5) * 0.5);
    const value = u > 0.99 ? body * (1 + random() * tailFactor) : body;
    histogram.recordValue(Math.max(1, Math.round(value)));
  }
  return summarize(histogram);
}

export function encodedValues(values: readonly number[]): string {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
  for (const v of values) histogram.recordValue(v);
  return encodeIntoCompressedBase64(histogram);
}

export function periodsOf(seconds: number, ratePerSec: number, seed = 1): PeriodPoint[] {
  const random = prng(seed);
  return Array.from({ length: seconds }, (_, t) => {
    const publish = Math.round(ratePerSec * (0.95 + random() * 0.1));
    return {
      t,
      publishPerSec: publish,
      receivePerSec: Math.round(publish * (0.97 + random() * 0.03)),
      backlog: Math.round(random() * 20),
    };
  });
}

export const MOSQUITTO: ResultSubject = {
  kind: 'broker',
  target: 'mosquitto',
  runtime: 'container',
  version: 'mosquitto 2.0.11',
};
export const AEDES: ResultSubject = { kind: 'broker', target: 'aedes', runtime: 'embedded', version: 'aedes 1.2.0' };
export function topology(forwarder: string): ResultSubject {
  return {
    kind: 'topology',
    id: `mosquitto>mosquitto via ${forwarder}`,
    downstream: 'mosquitto',
    upstream: 'mosquitto',
    forwarder,
    runtime: 'container',
    versions: { downstream: 'mosquitto 2.0.11', upstream: 'mosquitto 2.0.11' },
  };
}

export interface LoadOptions {
  scenario?: string;
  subject?: ResultSubject;
  qos?: 0 | 1 | 2;
  sent?: number;
  lost?: number;
  duplicates?: number;
  medianUs?: number;
  ratePerSec?: number;
  seconds?: number;
  seed?: number;
  variant?: string;
  lossLimit?: number;
}

/** A forwarding-loss style result with counters, a real histogram, periods and gates. */
export function loadResult(options: LoadOptions = {}): TestbenchResult {
  const sent = options.sent ?? 2000;
  const lost = options.lost ?? 0;
  const duplicates = options.duplicates ?? 0;
  const received = sent - lost;
  const seconds = options.seconds ?? 10;
  const rate = options.ratePerSec ?? sent / seconds;
  const latency = latencyOf(received, options.medianUs ?? 1500, options.seed ?? 1);
  const lossRate = sent > 0 ? lost / sent : 0;
  const lossLimit = options.lossLimit ?? 0.001;
  const result: TestbenchResult = {
    suite: 'forwarding-loss',
    scenario: options.scenario ?? 'medium',
    subject: options.subject ?? topology('reference'),
    protocolVersion: 4,
    qos: options.qos ?? 1,
    counters: {
      attempted: sent,
      sent,
      unconfirmed: 0,
      expected: sent,
      received,
      duplicates,
      reordered: 0,
      lost,
      lostAcknowledged: lost,
      lostUnacknowledged: 0,
      lostFailed: 0,
      corrupted: 0,
      unconfirmedReceived: 0,
    },
    latency,
    throughput: {
      publishPerSec: rate,
      receivePerSec: Math.round((received / seconds) * 10) / 10,
      durationMs: seconds * 1000,
    },
    periods: periodsOf(seconds, rate, options.seed ?? 1),
    gates: [
      {
        name: 'max loss rate',
        figure: 'lossRate',
        comparison: '<=',
        limit: lossLimit,
        measured: lossRate,
        unit: 'ratio',
        passed: lossRate <= lossLimit,
        source: 'forwarding-loss.defaults',
      },
    ],
    observations: { workload: `${options.scenario ?? 'medium'}-qos${options.qos ?? 1}`, publishers: 1, subscribers: 1 },
    diagnostics: { harnessSaturated: false, reasons: [] },
  };
  if (options.variant) result.variant = options.variant;
  return result;
}

/** The 9 QoS-matrix cells of one subject and path; `wrong` lists `pub,sub` cells that observe a wrong QoS. */
export function qosMatrix(
  subject: ResultSubject,
  path: 'direct' | 'forwarded',
  protocolVersion: 4 | 5,
  wrong: readonly string[] = [],
): TestbenchResult[] {
  const results: TestbenchResult[] = [];
  for (const pub of [0, 1, 2] as const) {
    for (const sub of [0, 1, 2] as const) {
      const expected = Math.min(pub, sub) as 0 | 1 | 2;
      const observed = wrong.includes(`${pub},${sub}`) ? [Math.max(0, expected - 1)] : [expected];
      const cell: QosCell = {
        path,
        protocolVersion,
        publishQos: pub,
        subscribeQos: sub,
        expectedQos: expected,
        observedQos: observed,
        expectation: 'min(pub, sub)',
        counters: {
          attempted: 10,
          sent: 10,
          unconfirmed: 0,
          expected: 10,
          received: 10,
          duplicates: 0,
          reordered: 0,
          lost: 0,
          lostAcknowledged: 0,
          lostUnacknowledged: 0,
          lostFailed: 0,
          corrupted: 0,
          unconfirmedReceived: 0,
        },
      };
      results.push({
        suite: 'qos-matrix',
        scenario: `pub ${pub} sub ${sub}`,
        subject,
        protocolVersion,
        qos: pub,
        qosCell: cell,
      });
    }
  }
  return results;
}

let testCounter = 0;

/** A collected test around results, as the reporter would build it. */
export function collected(
  results: TestbenchResult[],
  state: TestRef['state'] = 'passed',
  extra: Partial<TestRef> = {},
  skipNote?: string,
): CollectedTest {
  testCounter += 1;
  const first = results[0];
  const name = extra.name ?? (first ? `${first.scenario} QoS ${first.qos ?? '-'}` : `test ${testCounter}`);
  const test: CollectedTest = {
    id: `t${testCounter}`,
    ref: {
      name,
      fullName: extra.fullName ?? `suite > ${name}`,
      file: extra.file ?? 'suites/forwarding-loss.test.ts',
      project: 'suites',
      state,
      durationMs: extra.durationMs ?? 1234,
      ...extra,
    },
    results,
  };
  if (skipNote) test.skipNote = skipNote;
  return test;
}

export function syntheticPlan(overrides: Partial<RunPlan> = {}): RunPlan {
  const behaviour = { ...mosquittoBehaviourOf('2.0.11'), notes: ['mosquitto: queue_qos0_messages false (default)'] };
  const declaration = {
    qos: { policy: 'preserve' as const },
    retainForwarded: true,
    retainedDeleteForwarded: true,
    losslessAcrossRestart: true,
    routes: ['pass', 'event'] as ('pass' | 'event')[],
    notes: [],
  };
  return {
    runId: 'synthetic',
    profile: 'ci',
    strict: false,
    runtime: { kind: 'container', reason: 'Docker answered (20.10.24)' },
    docker: { ok: true, serverVersion: '20.10.24', host: 'localhost' },
    targets: [
      { name: 'mosquitto', runtime: 'container', behaviour, status: 'ready', detail: 'image local/mosquitto:2.0.11' },
      {
        name: 'emqx',
        runtime: 'container',
        behaviour: emqxBehaviour('5.8.8'),
        status: 'skipped',
        reason: 'image emqx/emqx:5.8.8 is not present locally and cannot be pulled here',
      },
    ],
    forwarders: [
      { spec: 'reference', kind: 'reference', name: 'reference', declaration, status: 'ready' },
      { spec: 'mosquitto-bridge', kind: 'mosquitto-bridge', name: 'mosquitto-bridge', declaration, status: 'ready' },
    ],
    topologies: [
      {
        id: 'mosquitto>mosquitto via reference',
        downstream: 'mosquitto',
        upstream: 'mosquitto',
        forwarder: 'reference',
        runtime: 'container',
        status: 'ready',
      },
      {
        id: 'mosquitto>mosquitto via mosquitto-bridge',
        downstream: 'mosquitto',
        upstream: 'mosquitto',
        forwarder: 'mosquitto-bridge',
        runtime: 'container',
        status: 'ready',
      },
      {
        id: 'emqx>emqx via reference',
        downstream: 'emqx',
        upstream: 'emqx',
        forwarder: 'reference',
        runtime: 'container',
        status: 'skipped',
        reason: "emqx is skipped in this run (see the target's reason)",
      },
    ],
    machine: { node: 'v20.20.2', platform: 'linux-x64', cpus: 2, cpuModel: 'Synthetic CPU', memoryMb: 24_000 },
    ...overrides,
  };
}

export interface SyntheticReportOptions {
  runId?: string;
  seed?: number;
  /** Multiplies every median latency (to fake a regression). */
  latencyFactor?: number;
  lost?: number;
  tests?: CollectedTest[];
}

/** A complete report like a real CI run: loss scenarios through two forwarders and direct, a QoS grid, a skipped target. */
export function syntheticReport(options: SyntheticReportOptions = {}): TestbenchReport {
  const seed = options.seed ?? 1;
  const factor = options.latencyFactor ?? 1;
  const tests: CollectedTest[] = options.tests ?? [
    ...(['light', 'medium', 'heavy'] as const).flatMap((scenario, i) =>
      ([1, 2] as const).flatMap((qos) => [
        collected([
          loadResult({
            scenario,
            qos,
            subject: topology('reference'),
            sent: [200, 2000, 10_000][i],
            medianUs: 1800 * factor * qos,
            seed: seed + i * 10 + qos,
            lost: scenario === 'heavy' && qos === 1 ? (options.lost ?? 0) : 0,
            variant: 'pass',
          }),
        ]),
        collected([
          loadResult({
            scenario,
            qos,
            subject: topology('mosquitto-bridge'),
            sent: [200, 2000, 10_000][i],
            medianUs: 900 * factor * qos,
            seed: seed + i * 10 + qos + 100,
            variant: 'pass',
          }),
        ]),
        collected([
          loadResult({
            scenario: `${scenario}-direct`,
            qos,
            subject: MOSQUITTO,
            sent: [200, 2000, 10_000][i],
            medianUs: 400 * factor * qos,
            seed: seed + i * 10 + qos + 200,
          }),
        ]),
      ]),
    ),
    collected(qosMatrix(MOSQUITTO, 'direct', 4)),
    collected(qosMatrix(topology('reference'), 'forwarded', 5)),
    collected([
      {
        suite: 'retain',
        scenario: 'late subscriber gets retained',
        subject: MOSQUITTO,
        protocolVersion: 4,
        qos: 1,
        observations: { retainFlagOnLateSubscribe: true, retainFlagLive: false },
      },
    ]),
    collected(
      [],
      'skipped',
      {
        name: 'emqx (container) delivers',
        fullName: 'smoke > emqx (container) delivers',
        file: 'suites/smoke.test.ts',
      },
      'emqx skipped: image emqx/emqx:5.8.8 is not present locally and cannot be pulled here',
    ),
  ];
  return buildReport({
    runId: options.runId ?? `20261122-120000-${seed.toString(16).padStart(6, '0')}`,
    plan: syntheticPlan(),
    tests,
    startedAt: new Date('2026-11-22T12:00:00Z'),
    finishedAt: new Date('2026-11-22T12:03:25Z'),
    state: tests.some((t) => t.ref.state === 'failed') ? 'failed' : 'passed',
    errors: [],
    command: 'vitest run',
    generatorVersion: '0.1.0',
    env: {},
  });
}
