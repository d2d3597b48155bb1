import { requireOnThisMachine, skipTest } from '../../vitest/skip.js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeLatencyHistogram } from '../../stats/latency-histogram.js';
import { runLoad } from '../run-load.js';
import { startAedes, type TestBroker } from '../testing/aedes-broker.js';
import { MOSQUITTO_MISSING, startLocalMosquitto } from '../testing/local-mosquitto.js';
import { parseWorkload } from '../workload.js';
import { workerBundleStatus } from './bundle.js';
import { planWorkers, resolveWorkerCount } from './worker-plan.js';

const bundle = workerBundleStatus();
let broker: TestBroker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function planFor(publishers: number, subscribers: number, count: number, extra: Record<string, unknown> = {}) {
  const workload = parseWorkload({
    name: 'p',
    publishers,
    subscribers,
    qos: 1,
    payload: { kind: 'fixed', bytes: 256 },
    messages: 10,
    ratePerSecond: 1_000,
    connectRatePerSecond: 100,
    ...extra,
  });
  return planWorkers(
    {
      workload,
      runTag: 'abcd',
      publishUrl: 'mqtt://a',
      subscribeUrl: 'mqtt://b',
      subscribeFilter: 't/#',
      clientIdPrefix: 'x',
      client: 'lean',
      shareGroup: 'g',
      topics: Array.from({ length: publishers }, (_, i) => `t/${i}`),
    },
    count,
  );
}

describe('worker plan', () => {
  it('keeps everything in one worker, or splits publishers and subscribers into separate threads', () => {
    expect(planFor(3, 2, 1).map((s) => [s.role, s.publishers.length, s.subscribers.length])).toEqual([['mixed', 3, 2]]);
    const two = planFor(3, 2, 2);
    expect(two.map((s) => [s.role, s.publishers.map((p) => p.index), s.subscribers])).toEqual([
      ['publishers', [0, 1, 2], []],
      ['subscribers', [], [0, 1]],
    ]);
    expect(two[0]?.publishers[2]?.topic).toBe('t/2');
    expect(two[1]?.groupIds).toEqual(['x-sub-0', 'x-sub-1']);
    expect(two.map((s) => s.totalPublishers)).toEqual([3, 3]);
  });

  it('shares rates and ramp-up in proportion to the clients, and never makes empty workers', () => {
    const four = planFor(1_000, 3, 4);
    expect(
      four.map((s) => [
        s.role,
        s.publishers.length,
        s.subscribers.length,
        s.ratePerSecond,
        Math.round(s.connectRatePerSecond),
      ]),
    ).toEqual([
      ['publishers', 500, 0, 500, 50],
      ['publishers', 500, 0, 500, 50],
      ['subscribers', 0, 2, 0, 67],
      ['subscribers', 0, 1, 0, 33],
    ]);
    expect(planFor(1, 1, 8).map((s) => s.role)).toEqual(['publishers', 'subscribers']);
    expect(planFor(1, 4, 4, { subscriptionMode: 'shared' }).map((s) => s.groupIds)).toEqual([[], ['g'], ['g'], ['g']]);
  });

  it('resolves "auto" to half the cores, at least one', () => {
    expect(resolveWorkerCount('auto', 2)).toBe(1);
    expect(resolveWorkerCount('auto', 8)).toBe(4);
    expect(resolveWorkerCount('auto', 64)).toBe(8);
    expect(resolveWorkerCount(3, 2)).toBe(3);
  });
});

describe('runLoad with worker threads', { timeout: 30_000 }, () => {
  requireOnThisMachine(bundle.state === 'ready' ? undefined : bundle.reason);
  for (const qos of [0, 1, 2] as const) {
    it(`merges two threads' counters and histograms exactly at QoS ${qos}`, async () => {
      broker = await startAedes();
      const result = await runLoad({
        publishUrl: broker.url,
        subscribeUrl: broker.url,
        workload: {
          name: `threads-q${qos}`,
          publishers: 3,
          subscribers: 2,
          qos,
          payload: { kind: 'fixed', bytes: 512 },
          messages: 200,
          warmupMessages: 10,
          inflight: 50,
          workers: 2,
        },
        topicFor: (i) => `mtb/threads-${qos}/p${i}`,
        subscribeFilter: `mtb/threads-${qos}/#`,
        clientIdPrefix: `thr-q${qos}`,
        periodMs: 100,
        includeAccounting: true,
      });
      expect(result.errors).toEqual([]);
      expect(result.counters).toMatchObject({
        attempted: 630,
        sent: 630,
        receiverGroups: 2,
        expected: 1_260,
        received: 1_260,
        lost: 0,
        duplicates: 0,
        corrupted: 0,
        unexpected: 0,
      });
      expect(result.drain.outcome).toBe('complete');
      expect(result.latency.endToEnd.count).toBe(3 * 200 * 2);
      expect(decodeLatencyHistogram(result.latency.endToEnd.histogram).totalCount).toBe(1_200);
      expect(result.latency.publishConfirm.count).toBe(600);
      expect(result.target.grantedQos).toEqual([qos]);
      expect(result.diagnostics.workers).toEqual({ requested: 2, used: 2, kind: 'threads' });
      expect(result.diagnostics.threads.map((t) => [t.role, t.publishers, t.subscribers])).toEqual([
        ['publishers', 3, 0],
        ['subscribers', 0, 2],
      ]);
      expect(result.periods.reduce((sum, p) => sum + p.confirmed, 0)).toBe(630);
      expect(result.periods.reduce((sum, p) => sum + p.received, 0)).toBe(1_260);
      expect(result.accounting?.ledgers).toHaveLength(3);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    });
  }

  // aedes has no shared subscriptions: a local mosquitto.
  it('keeps the schedule when rate limited across threads, and counts a shared group split over threads once', async (context) => {
    if (MOSQUITTO_MISSING) skipTest(context, 'environment', MOSQUITTO_MISSING);
    const mosquitto = await startLocalMosquitto();
    broker = { url: mosquitto.url, close: () => mosquitto.stop() } as TestBroker;
    const result = await runLoad({
      publishUrl: mosquitto.url,
      subscribeUrl: mosquitto.url,
      workload: {
        name: 'threads-shared',
        publishers: 4,
        subscribers: 2,
        subscriptionMode: 'shared',
        protocolVersion: 5,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        durationMs: 1_000,
        ratePerSecond: 2_000,
        workers: 3,
      },
      topicFor: (i) => `mtb/threads-shared/p${i}`,
      subscribeFilter: 'mtb/threads-shared/#',
      clientIdPrefix: 'thr-shared',
    });
    expect(result.errors).toEqual([]);
    expect(result.diagnostics.threads.map((t) => t.role)).toEqual(['publishers', 'subscribers', 'subscribers']);
    expect(result.counters.receiverGroups).toBe(1);
    expect(result.counters.lost).toBe(0);
    expect(result.counters.sent).toBeGreaterThanOrEqual(1_900);
    expect(result.plannedMessages).toBe(2_000);
    expect(result.latency.sendDelay?.count).toBe(result.counters.sent);
    // On a busy 2-core machine three threads may fall behind their schedule: then it is the harness, never the broker.
    expect(['requested-rate', 'harness']).toContain(result.diagnostics.limitedBy);
  });
});
