import { afterAll, beforeAll, describe, expect, test, type TestContext } from 'vitest';
import { gateFileSchema } from '../gates/gate-file.js';
import { MOSQUITTO_MISSING, startLocalMosquitto, type LocalMosquitto } from '../load/testing/local-mosquitto.js';
import { parseWorkload } from '../load/workload.js';
import type { TestbenchResult } from '../report/testbench-result.js';
import type { DefectSpec } from '../selftest/defects.js';
import { startFaultyProxy, type FaultyProxy } from '../selftest/faulty-proxy.js';
import { runGatedScenario } from './run-gated.js';

/**
 * The timing rerun turns a failed measurement into a pass when the rerun keeps every gate: these
 * cases prove it does so only then. A faulty proxy in front of a local mosquitto holds deliveries
 * back (a stall of the first run) or drops them, and switches defect between the two runs.
 * The reference mosquitto (TCP_NODELAY) and 1.5 s runs after a warm-up: a 1 s run at 500 msg/s
 * through a stock mosquitto confirmed 466-470 msg/s (one PUBACK held ~60 ms by Nagle stretches the
 * window), below the 95 % that tells a kept schedule, and was judged "harness saturated".
 */
const gates = gateFileSchema.parse({
  'forwarding-loss': {
    scenarios: {
      'rerun-check': { maxP99Ms: 100, maxLossRate: 0 },
      // Publish only: the share of the requested rate is the confirmed one.
      'confirm-check': { minRateAchieved: 0.95 },
    },
  },
});
const workload = parseWorkload({
  name: 'rerun-check',
  publishers: 1,
  subscribers: 1,
  qos: 1,
  payload: { kind: 'fixed', bytes: 256 },
  durationMs: 1_500,
  ratePerSecond: 400,
  warmupMessages: 100,
  drainIdleMs: 500,
});
const publishOnly = parseWorkload({ ...workload, name: 'confirm-check', subscribers: 0 });
const STALL: DefectSpec = { name: 'delay', every: 1, delayMs: 300 };
const NONE: DefectSpec = { name: 'none' };

describe.skipIf(MOSQUITTO_MISSING)('runGatedScenario: the timing rerun', () => {
  let broker: LocalMosquitto;
  let proxy: FaultyProxy;
  beforeAll(async () => {
    broker = await startLocalMosquitto('reference');
    const { hostname, port } = new URL(broker.url);
    proxy = await startFaultyProxy({ upstream: { host: hostname, port: Number(port) }, defect: NONE });
  });
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  /** Runs the scenario with `defects[i]` for measurement i (topics are asked once per measurement). */
  function gated(context: TestContext, defects: DefectSpec[], load = workload) {
    let measurement = 0;
    // The results stay out of this run's report: they are the subject of the test, not of the run.
    const results: TestbenchResult[] = [];
    const isolated = {
      task: { meta: { testbench: results } },
      annotate: () => Promise.resolve(),
      signal: context.signal,
    } as unknown as TestContext;
    const outcome = runGatedScenario(isolated, {
      suite: 'forwarding-loss',
      subject: { kind: 'broker', target: 'mosquitto', runtime: 'process', version: 'behind a faulty proxy' },
      label: load.name,
      scenario: { scenario: load.name, qos: 1, route: 'pass', workload: load },
      publishUrl: proxy.url,
      subscribeUrl: proxy.url,
      topics: () => {
        proxy.setDefect(defects[measurement] ?? NONE);
        measurement += 1;
        const prefix = `mtb/${load.name}/${context.task.id}/${measurement}`;
        return { topicFor: (i) => `${prefix}/p${i}`, subscribeFilter: `${prefix}/#` };
      },
      gates,
      systemUnderTest: [],
    });
    return { outcome, results, measurements: () => measurement };
  }

  test('a stall of the first run only: the rerun keeps every gate and decides, and the result says so', async (context) => {
    const run = gated(context, [STALL, NONE]);
    await run.outcome;
    expect(run.measurements()).toBe(2);
    const [result] = run.results;
    expect(result?.observations?.timingRerun).toBe('not reproduced');
    expect(result?.notes?.[0]).toMatch(
      /^the first run broke only timing gates: max p99 latency p99Ms = [\d.]+ ms against <= 100; this rerun kept every gate, so the first run's figure was a stall that did not repeat$/,
    );
  });

  test('a stall in both runs fails the test, with the first run in the message', async (context) => {
    const run = gated(context, [STALL, STALL]);
    await expect(run.outcome).rejects.toThrow(
      /max p99 latency p99Ms[\s\S]*broke a timing gate again, so the failure stands/,
    );
    expect(run.measurements()).toBe(2);
    expect(run.results[0]?.observations?.timingRerun).toBe('reproduced');
  });

  test('a rerun that keeps the timing gates but loses messages fails', async (context) => {
    const run = gated(context, [STALL, { name: 'drop', every: 10 }]);
    await expect(run.outcome).rejects.toThrow(/lost \d+ of \d+[\s\S]*kept the timing gates but failed otherwise/);
    expect(run.measurements()).toBe(2);
  });

  // The confirmed rate's window runs to the last PUBACK, so a broker that confirms 300 ms late
  // confirms ~84 % of the requested rate: that is the broker's failure, not a harness that "could
  // not keep the schedule" (which made it inconclusive, and skipped outside CI and STRICT).
  test('a broker slow to confirm fails the rate gate as its own failure, not as inconclusive', async (context) => {
    const slowAck: DefectSpec = { name: 'slow-ack', every: 1, delayMs: 300 };
    const run = gated(context, [slowAck, slowAck], publishOnly);
    const failure = await run.outcome.then(
      () => new Error('passed'),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toMatch(
      /min share of the requested rate[\s\S]*broke a timing gate again, so the failure stands/,
    );
    expect(failure.message).not.toMatch(/INCONCLUSIVE|saturated/);
    const [result] = run.results;
    expect(result?.diagnostics?.harnessSaturated).toBe(false);
    expect(result?.inconclusive).toBeUndefined();
  });

  test('a first run that lost messages is never rerun', async (context) => {
    const run = gated(context, [{ name: 'drop', every: 10 }, NONE]);
    await expect(run.outcome).rejects.toThrow(/lost \d+ of \d+/);
    expect(run.measurements()).toBe(1);
    expect(run.results[0]?.observations?.timingRerun).toBeUndefined();
  });
});
