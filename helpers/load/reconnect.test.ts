import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage } from './payload/index.js';
import { runLoad } from './run-load.js';
import { startAedes, type TestBroker } from './testing/aedes-broker.js';

let broker: TestBroker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('runLoad across reconnects and with many clients', { timeout: 60_000 }, () => {
  it('keeps publishing after the broker drops the publisher, when reconnectPeriod is set', async () => {
    const CUT = 40;
    let cut = false;
    broker = await startAedes({
      published: (packet, client, callback) => {
        const decoded = decodeMessage(Buffer.from(packet.payload));
        if (client && !cut && decoded.kind === 'ok' && decoded.seq === CUT) {
          cut = true;
          client.conn.destroy();
        }
        callback();
      },
    });
    const result = await runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      workload: {
        name: 'reconnect',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        messages: 200,
        ratePerSecond: 1_000,
        inflight: 20,
      },
      topicFor: () => 'mtb/reconnect/pub-0',
      subscribeFilter: 'mtb/reconnect/#',
      clientIdPrefix: 'reconnect',
      connectOptions: { reconnectPeriod: 50 },
    });
    expect(result.diagnostics.reconnects.publishers).toBeGreaterThanOrEqual(1);
    // Every message was issued and confirmed despite the drop; QoS 1 redelivery may duplicate.
    expect(result.counters).toMatchObject({ attempted: 200, sent: 200, lost: 0, publishFailed: 0, corrupted: 0 });
    expect(result.counters.received).toBe(200);
    // The outage shows up as send delay against the schedule, not as a hidden pause.
    expect(result.latency.sendDelay?.max ?? 0).toBeGreaterThan(10_000);
  });

  it('drives 1,000 publishers from one process with one send loop', async () => {
    broker = await startAedes();
    const result = await runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      workload: {
        name: 'many-connections',
        publishers: 1_000,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        messages: 3,
        ratePerSecond: 3_000,
        inflight: 5,
      },
      topicFor: (i) => `mtb/many/pub-${i}`,
      subscribeFilter: 'mtb/many/#',
      clientIdPrefix: 'many',
    });
    expect(result.errors).toEqual([]);
    expect(result.counters).toMatchObject({ attempted: 3_000, sent: 3_000, received: 3_000, lost: 0, duplicates: 0 });
    expect(result.timingsMs.publish).toBeGreaterThanOrEqual(900);
  });
});
