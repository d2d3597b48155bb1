import type { AedesPublishPacket, PublishPacket } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage } from './payload/index.js';
import { runLoad } from './run-load.js';
import { startAedes, type TestBroker } from './testing/aedes-broker.js';

let broker: TestBroker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

/** Sequence of a load message (publisher 0 only), or undefined for anything else. */
function seqOf(packet: { payload: Buffer | string }): number | undefined {
  const decoded = decodeMessage(Buffer.from(packet.payload));
  return decoded.kind === 'ok' && decoded.publisherId.endsWith('-0') ? decoded.seq : undefined;
}

function copyOf(packet: AedesPublishPacket, payload: Buffer = Buffer.from(packet.payload)): PublishPacket {
  return { cmd: 'publish', topic: packet.topic, payload, qos: packet.qos, retain: false, dup: false };
}

function republish(target: TestBroker, packet: PublishPacket): void {
  setImmediate(() =>
    target.broker.publish(packet, (error) => {
      if (error) throw error;
    }),
  );
}

describe('the counters catch what a broken path does', { timeout: 30_000 }, () => {
  it('counts an injected loss, duplicate, corruption, reordering and foreign message separately', async () => {
    const LOST = 5;
    const DUPLICATED = 7;
    const CORRUPTED = 9;
    const HELD = 11;
    const RELEASE_AFTER = 14;
    const seen = new Map<number, number>();
    let held: PublishPacket | undefined;
    broker = await startAedes({
      authorizeForward: (_client, packet) => {
        const seq = seqOf(packet);
        if (seq === undefined) return packet;
        const times = (seen.get(seq) ?? 0) + 1;
        seen.set(seq, times);
        if (times > 1) return packet; // our own re-publication
        const target = broker;
        if (!target) return packet;
        switch (seq) {
          case 3:
            republish(target, {
              cmd: 'publish',
              topic: packet.topic,
              payload: Buffer.from('hello'),
              qos: 0,
              retain: false,
              dup: false,
            });
            return packet;
          case LOST:
            return null;
          case DUPLICATED:
            republish(target, copyOf(packet));
            return packet;
          case CORRUPTED: {
            const payload = Buffer.from(packet.payload);
            const at = payload.indexOf('"value":"', 150) + 9;
            payload[at] = payload[at] === 0x31 ? 0x32 : 0x31;
            return { ...packet, payload };
          }
          case HELD:
            held = copyOf(packet);
            return null;
          case RELEASE_AFTER:
            if (held) republish(target, held);
            return packet;
          default:
            return packet;
        }
      },
    });
    const result = await runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      workload: {
        name: 'injected-faults',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'telemetry', minPoints: 10, maxPoints: 10 },
        messages: 30,
        inflight: 4,
        drainIdleMs: 300,
      },
      topicFor: () => 'mtb/faults/pub-0',
      subscribeFilter: 'mtb/faults/#',
      clientIdPrefix: 'faults',
    });
    expect(result.counters).toMatchObject({
      attempted: 30,
      sent: 30,
      expected: 30,
      received: 28,
      lost: 2,
      duplicates: 1,
      corrupted: 1,
      reordered: 1,
      foreign: 1,
      unexpected: 0,
      unconfirmedButReceived: 0,
    });
    expect(result.lostSamples).toEqual([
      { groupId: 'faults-sub-0', publisherId: `${result.runTag}-0`, seqs: [LOST, CORRUPTED] },
    ]);
    expect(result.corruptedSamples[0]).toMatch(/CRC32 .* differs .*claims [0-9a-f]+-0#9/);
    expect(result.drain.outcome).toBe('idle');
    expect(result.drain.missingAtEnd).toBe(2);
  });

  it('counts a message that arrived although the broker never acknowledged it', async () => {
    const CUT = 6;
    broker = await startAedes({
      published: (packet, client, callback) => {
        // QoS 2: aedes forwards first, then sends PUBREC; dropping the publisher here
        // models a broker that delivered but died before acknowledging.
        if (client && seqOf(packet) === CUT) client.conn.destroy();
        callback();
      },
    });
    const result = await runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      workload: {
        name: 'unacknowledged',
        publishers: 1,
        subscribers: 1,
        qos: 2,
        payload: { kind: 'fixed', bytes: 256 },
        messages: 20,
        inflight: 1,
        drainIdleMs: 300,
      },
      topicFor: () => 'mtb/unack/pub-0',
      subscribeFilter: 'mtb/unack/#',
      clientIdPrefix: 'unack',
    });
    expect(result.counters).toMatchObject({
      attempted: CUT + 1,
      sent: CUT,
      unconfirmed: 1,
      received: CUT + 1,
      lost: 0,
      unconfirmedButReceived: 1,
    });
    expect(result.errors.map((e) => `${e.source} ${e.clientId}: ${e.message}`)).toContain(
      'publisher unack-pub-0: connection closed during the run (no reconnect configured)',
    );
  });
});
