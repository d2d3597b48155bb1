/**
 * A broker that silently swallows QoS 1/2 publishes (never delivers them, never acknowledges them)
 * loses messages: the engine counts them as lost, "never acknowledged by the broker", and a client
 * whose publishes stop being acknowledged ends the scenario within ackTimeoutMs instead of waiting
 * for minutes. The broker is a real mosquitto behind the self-test's faulty proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selftestBrokerUnavailable, startSelftestBroker, type SelftestBroker } from '../selftest/broker.js';
import { startFaultyProxy, type FaultyProxy } from '../selftest/faulty-proxy.js';
import { runLoad } from './run-load.js';
import { requireOnThisMachine } from '../vitest/skip.js';

const binary = process.env['MQTT_TESTBENCH_MOSQUITTO_BIN'];
const unavailable = selftestBrokerUnavailable(binary);

describe('publishes the broker never acknowledges', { timeout: 60_000 }, () => {
  requireOnThisMachine(unavailable);
  let broker: SelftestBroker | undefined;
  let proxy: FaultyProxy | undefined;

  beforeAll(async () => {
    if (unavailable) return;
    broker = await startSelftestBroker('unacknowledged', {
      ...(binary ? { binary } : {}),
      startupTimeoutMs: 10_000,
    });
    proxy = await startFaultyProxy({
      upstream: { host: broker.host, port: broker.port },
      defect: { name: 'never-ack', every: 100 },
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  test('are lost, never acknowledged by the broker, and the run ends within the drain bound', async () => {
    if (!proxy) throw new Error('the faulty proxy did not start');
    proxy.resetStats();
    const began = performance.now();
    const load = await runLoad({
      publishUrl: proxy.url,
      subscribeUrl: proxy.url,
      workload: {
        name: 'never-ack',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        messages: 2_000,
        inflight: 1_000,
        payload: { kind: 'fixed', bytes: 256 },
      },
      topicFor: () => 'mtb/unacknowledged/window',
      subscribeFilter: 'mtb/unacknowledged/window',
      clientIdPrefix: 'mtb-unack-window',
    });
    const elapsedMs = performance.now() - began;
    const swallowed = proxy.stats().hits;
    expect(swallowed).toBe(20);
    expect(load.counters).toMatchObject({
      attempted: 2_000,
      sent: 1_980,
      unconfirmed: 20,
      expected: 2_000,
      received: 1_980,
      lost: 20,
      lostUnacknowledged: 20,
      lostAcknowledged: 0,
    });
    expect(load.counters.received + load.counters.lost).toBe(load.counters.attempted);
    expect(load.lostSamples[0]?.seqs.slice(0, 3)).toEqual([99, 199, 299]);
    // The 20 outstanding publishes never settle: the drain gives up after drainIdleMs (3 s).
    expect(load.drain.outcome).toBe('idle');
    expect(elapsedMs).toBeLessThan(10_000);
  });

  test('one message in flight per client (mqtt-bench): the first stalled client ends the scenario within ackTimeoutMs', async () => {
    if (!proxy) throw new Error('the faulty proxy did not start');
    proxy.resetStats();
    const began = performance.now();
    const load = await runLoad({
      publishUrl: proxy.url,
      subscribeUrl: proxy.url,
      workload: {
        name: 'never-ack-inflight-1',
        publishers: 20,
        subscribers: 1,
        qos: 2,
        messages: 100_000,
        inflight: 1,
        ackTimeoutMs: 1_000,
        payload: { kind: 'fixed', bytes: 256 },
      },
      topicFor: (i) => `mtb/unacknowledged/one/${i}`,
      subscribeFilter: 'mtb/unacknowledged/one/#',
      clientIdPrefix: 'mtb-unack-one',
    });
    const elapsedSec = (performance.now() - began) / 1000;
    const stalls = load.errors.filter((e) => /never acknowledged by the broker: no PUBCOMP for \d+ ms/.test(e.message));
    expect(stalls, JSON.stringify(load.errors)).toHaveLength(1);
    expect(load.counters.lostUnacknowledged).toBeGreaterThan(0);
    expect(load.counters.lostUnacknowledged).toBe(load.counters.unconfirmed);
    expect(load.counters.lostUnacknowledged).toBeLessThanOrEqual(proxy.stats().hits);
    expect(load.counters.received + load.counters.lost).toBe(load.counters.attempted);
    // ackTimeoutMs (1 s) + a period (1 s) + the drain's idle bound (3 s), far from 20 × 100,000 messages.
    expect(elapsedSec).toBeLessThan(8);
  });
});
