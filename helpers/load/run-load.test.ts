import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_SOCKET_ENV, type ProgressMessage } from './progress.js';
import { decodeLatencyHistogram } from '../stats/latency-histogram.js';
import { runLoad } from './run-load.js';
import { startAedes, type TestBroker } from './testing/aedes-broker.js';
import type { LoadResult, PeriodStats, WorkloadInput } from './types.js';

let broker: TestBroker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function options(url: string, workload: WorkloadInput, prefix: string) {
  return {
    publishUrl: url,
    subscribeUrl: url,
    workload,
    topicFor: (i: number) => `mtb/${prefix}/pub-${i}`,
    subscribeFilter: `mtb/${prefix}/#`,
    clientIdPrefix: prefix,
  };
}

function expectExactDelivery(result: LoadResult, sentPerGroup: number, groups: number): void {
  expect(result.errors).toEqual([]);
  expect(result.counters).toMatchObject({
    attempted: sentPerGroup,
    sent: sentPerGroup,
    publishFailed: 0,
    unconfirmed: 0,
    receiverGroups: groups,
    expected: sentPerGroup * groups,
    received: sentPerGroup * groups,
    lost: 0,
    duplicates: 0,
    corrupted: 0,
    unconfirmedButReceived: 0,
    foreign: 0,
    unexpected: 0,
  });
  expect(result.drain.outcome).toBe('complete');
}

describe('runLoad against an in-process aedes broker', { timeout: 30_000 }, () => {
  for (const qos of [0, 1, 2] as const) {
    it(`delivers every confirmed QoS ${qos} message exactly once to every subscriber`, async () => {
      broker = await startAedes();
      const periods: PeriodStats[] = [];
      const result = await runLoad({
        ...options(
          broker.url,
          {
            name: `aedes-qos${qos}`,
            publishers: 3,
            subscribers: 2,
            qos,
            payload: { kind: 'telemetry', minPoints: 10, maxPoints: 30 },
            messages: 150,
            warmupMessages: 10,
            inflight: 50,
          },
          `rl-q${qos}`,
        ),
        onPeriod: (p) => periods.push(p),
        periodMs: 100,
      });
      expectExactDelivery(result, 3 * 160, 2);
      expect(result.latency.endToEnd.count).toBe(3 * 150 * 2);
      expect(result.latency.publishConfirm.count).toBe(3 * 150);
      expect(result.latency.endToEnd.p50).toBeGreaterThan(0);
      expect(result.latency.sendDelay).toBeNull();
      expect(decodeLatencyHistogram(result.latency.endToEnd.histogram).totalCount).toBe(900);
      expect(result.throughput.confirmedPerSecond).toBeGreaterThan(0);
      expect(result.throughput.receivedPerSecond).toBeGreaterThan(0);
      expect(result.target.grantedQos).toEqual([qos]);
      expect(result.diagnostics.maxInflightReached).toBeLessThanOrEqual(50);
      // Unlimited QoS 1/2 runs into the 50-message window: counted as backpressure episodes.
      if (qos > 0) expect(result.diagnostics.windowFullCount).toBeGreaterThan(0);
      expect(periods.length).toBeGreaterThan(0);
      expect(result.periods.reduce((sum, p) => sum + p.confirmed, 0)).toBe(480);
      expect(result.periods.reduce((sum, p) => sum + p.received, 0)).toBe(960);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    });
  }

  it('keeps a rate-limited schedule and measures latency from the intended send time', async () => {
    broker = await startAedes();
    const result = await runLoad(
      options(
        broker.url,
        {
          name: 'aedes-rate',
          publishers: 2,
          subscribers: 1,
          qos: 1,
          payload: { kind: 'fixed', bytes: 512 },
          messages: 100,
          ratePerSecond: 1000,
        },
        'rl-rate',
      ),
    );
    expectExactDelivery(result, 200, 1);
    expect(result.latency.sendDelay?.count).toBe(200);
    expect(result.latency.endToEndFromIntended?.count).toBe(200);
    expect(result.latency.endToEndFromIntended?.p50 ?? 0).toBeGreaterThanOrEqual(result.latency.endToEnd.p50);
    // 200 messages at 1,000 msg/s: the schedule spans ~199 ms however fast the broker is.
    expect(result.timingsMs.publish).toBeGreaterThanOrEqual(190);
    expect(result.throughput.confirmedPerSecond).toBeLessThan(1150);
    expect(result.plannedMessages).toBe(200);
  });

  it('publishes for a duration when the workload gives durationMs', async () => {
    broker = await startAedes();
    const result = await runLoad(
      options(
        broker.url,
        {
          name: 'aedes-duration',
          publishers: 1,
          subscribers: 1,
          qos: 0,
          payload: { kind: 'fixed', bytes: 256 },
          durationMs: 300,
          ratePerSecond: 2000,
        },
        'rl-dur',
      ),
    );
    expect(result.plannedMessages).toBe(600);
    expectExactDelivery(result, 600, 1);
  });

  it('throws naming the client and URL when the broker is not there', async () => {
    broker = await startAedes();
    const url = broker.url;
    await broker.close();
    broker = undefined;
    await expect(
      runLoad(
        options(
          url,
          {
            name: 'nobody',
            publishers: 1,
            subscribers: 1,
            qos: 0,
            payload: { kind: 'fixed', bytes: 256 },
            messages: 1,
          },
          'rl-down',
        ),
      ),
    ).rejects.toThrow(/rl-down-sub-0: connecting to mqtt:\/\/127\.0\.0\.1:\d+ failed/);
  });

  it('throws naming the filter when the broker refuses the subscription', async () => {
    broker = await startAedes({
      authorizeSubscribe: (_client, _subscription, callback) => callback(null, null),
    });
    await expect(
      runLoad(
        options(
          broker.url,
          {
            name: 'refused',
            publishers: 1,
            subscribers: 1,
            qos: 1,
            payload: { kind: 'fixed', bytes: 256 },
            messages: 1,
          },
          'rl-deny',
        ),
      ),
    ).rejects.toThrow(/rl-deny-sub-0: SUBSCRIBE "mtb\/rl-deny\/#" \(QoS 1\)/);
  });

  it('rejects with the abort reason and closes its clients', async () => {
    broker = await startAedes();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('test timeout')), 150);
    await expect(
      runLoad({
        ...options(
          broker.url,
          {
            name: 'aborted',
            publishers: 1,
            subscribers: 1,
            qos: 1,
            payload: { kind: 'fixed', bytes: 256 },
            durationMs: 10_000,
            ratePerSecond: 100,
          },
          'rl-abort',
        ),
        signal: controller.signal,
      }),
    ).rejects.toThrow('test timeout');
    expect(broker.broker.connectedClients).toBe(0);
  });

  it('ends a connect in progress at once when aborted (no waiting for the connect timeout)', async () => {
    // Accepts TCP connections and never answers CONNECT.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('give up')), 100);
    const started = performance.now();
    try {
      await expect(
        runLoad({
          ...options(
            `mqtt://127.0.0.1:${port}`,
            {
              name: 'hang',
              publishers: 1,
              subscribers: 2,
              qos: 0,
              payload: { kind: 'fixed', bytes: 256 },
              messages: 1,
            },
            'rl-hang',
          ),
          signal: controller.signal,
        }),
      ).rejects.toThrow('give up');
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      silent.close();
    }
  });

  it('ramps connections up at connectRatePerSecond and reports who set the pace', async () => {
    broker = await startAedes();
    const result = await runLoad(
      options(
        broker.url,
        {
          name: 'ramp',
          publishers: 10,
          subscribers: 10,
          qos: 1,
          payload: { kind: 'fixed', bytes: 256 },
          messages: 5,
          connectRatePerSecond: 100,
        },
        'rl-ramp',
      ),
    );
    expectExactDelivery(result, 50, 10);
    // 10 subscribers, then 10 publishers, each phase at 100 connections/s: ≥ 2 × 90 ms.
    expect(result.timingsMs.connect).toBeGreaterThanOrEqual(170);
    const d = result.diagnostics;
    expect(d.workers).toEqual({ requested: 1, used: 1, kind: 'local' });
    expect(d.threads).toHaveLength(1);
    expect(d.threads[0]).toMatchObject({ role: 'mixed', publishers: 10, subscribers: 10 });
    expect(['requested-rate', 'system-under-test', 'harness']).toContain(d.limitedBy);
    expect(d.harnessSaturated).toBe(d.limitedBy === 'harness' || d.saturationReasons.length > 0);
    expect(d.memory.rssMaxBytes).toBeGreaterThan(0);
    expect(d.cpu.cores).toBeGreaterThan(0);
    expect(d.sendSchedule).toBe('timer');
  });

  it('reports live progress under its label while it runs, and ends it', async () => {
    broker = await startAedes();
    const socketPath = join(tmpdir(), `mtb-runload-progress-${process.pid}.sock`);
    const messages: ProgressMessage[] = [];
    const hub = createServer((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) messages.push(JSON.parse(line) as ProgressMessage);
      });
    });
    await new Promise<void>((resolve) => hub.listen(socketPath, resolve));
    vi.stubEnv(PROGRESS_SOCKET_ENV, socketPath);
    vi.stubEnv('MQTT_TESTBENCH_PROGRESS', 'plain');
    try {
      const result = await runLoad({
        ...options(
          broker.url,
          {
            name: 'progress',
            publishers: 1,
            subscribers: 2,
            qos: 1,
            payload: { kind: 'fixed', bytes: 256 },
            messages: 600,
            ratePerSecond: 1000,
          },
          'rl-progress',
        ),
        periodMs: 100,
        progressLabel: 'progress QoS 1',
      });
      expectExactDelivery(result, 600, 2);
      await vi.waitFor(() => expect(messages.at(-1)?.type).toBe('done'));
      const updates = messages.filter((m) => m.type === 'update');
      expect(updates.length).toBeGreaterThanOrEqual(1);
      expect(updates[0]).toMatchObject({ label: 'progress QoS 1', totalExpected: 600 });
      // Received is per receiver group, so it never passes what was sent.
      for (const u of updates) expect(u.received).toBeLessThanOrEqual(u.totalExpected ?? 0);
    } finally {
      vi.unstubAllEnvs();
      await new Promise<void>((resolve) => hub.close(() => resolve()));
      rmSync(socketPath, { force: true });
    }
  });
});
