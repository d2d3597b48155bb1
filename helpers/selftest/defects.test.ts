import type { IConnectPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import { describe, expect, test } from 'vitest';
import { createProbeMessage, decodeMessage } from '../load/payload/index.js';
import {
  DEFAULT_DELAY_MS,
  DefectSession,
  describeDefect,
  ServerFlowIds,
  type DefectSpec,
  type Emit,
} from './defects.js';

function publish(messageId: number | undefined, overrides: Partial<IPublishPacket> = {}): IPublishPacket {
  return {
    cmd: 'publish',
    topic: 'mtb/t',
    payload: Buffer.from(`payload ${messageId ?? 0}`),
    qos: messageId === undefined ? 0 : 1,
    dup: false,
    retain: false,
    ...(messageId === undefined ? {} : { messageId }),
    ...overrides,
  };
}

function connectPacket(overrides: Partial<IConnectPacket> = {}): IConnectPacket {
  return {
    cmd: 'connect',
    clientId: 'c1',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    ...overrides,
  };
}

/** A session that has seen the client's CONNECT. */
function session(spec: DefectSpec, version: 4 | 5 = 4): DefectSession {
  const s = new DefectSession(spec);
  s.fromClient(connectPacket({ protocolVersion: version }));
  return s;
}

function toClient(emits: readonly Emit[]): Packet[] {
  return emits.filter((e) => e.to === 'client').map((e) => e.packet);
}

function toBroker(emits: readonly Emit[]): Packet[] {
  return emits.filter((e) => e.to === 'broker').map((e) => e.packet);
}

/** Feeds `n` QoS 1 deliveries with ids 1..n and returns what each produced. */
function deliver(
  s: DefectSession,
  n: number,
  overrides: (i: number) => Partial<IPublishPacket> = () => ({}),
): { packet: IPublishPacket; emits: Emit[] }[] {
  return Array.from({ length: n }, (_, i) => {
    const packet = publish(i + 1, overrides(i + 1));
    return { packet, emits: s.fromBroker(packet) };
  });
}

describe('faulty proxy defects (pure packet transformations)', () => {
  test('none: every packet goes through as the very object it was (so the proxy forwards the original bytes)', () => {
    const s = new DefectSession({ name: 'none' });
    const connect = connectPacket({ clean: false });
    expect(s.fromClient(connect)).toEqual([{ to: 'broker', packet: connect }]);
    for (const { packet, emits } of deliver(s, 5)) expect(emits).toEqual([{ to: 'client', packet }]);
    const ack: Packet = { cmd: 'puback', messageId: 3 };
    expect(s.fromClient(ack)[0]?.packet).toBe(ack);
    expect(s.stats).toEqual({ deliveries: 5, hits: 0, samples: [] });
  });

  test('wrong-qos-downgrade: every Nth QoS 1/2 delivery reaches the client at QoS 0 and is acknowledged to the broker by the proxy', () => {
    const s = session({ name: 'wrong-qos-downgrade', every: 3 });
    const results = deliver(s, 6);
    expect(results.map((r) => toClient(r.emits).map((p) => (p as IPublishPacket).qos))).toEqual([
      [1],
      [1],
      [0],
      [1],
      [1],
      [0],
    ]);
    const third = results[2]?.emits ?? [];
    expect(toClient(third)[0]).not.toHaveProperty('messageId');
    expect(toBroker(third)).toEqual([{ cmd: 'puback', messageId: 3 }]);
    // The client's own acknowledgements reach the broker unchanged.
    expect(toBroker(s.fromClient({ cmd: 'puback', messageId: 1 }))).toEqual([{ cmd: 'puback', messageId: 1 }]);
    // QoS 0 deliveries are not eligible.
    expect(toClient(s.fromBroker(publish(undefined)))).toHaveLength(1);
    // QoS 2: PUBREC from the proxy, and the broker's PUBREL is answered with PUBCOMP, never reaching the client.
    const q2 = session({ name: 'wrong-qos-downgrade', every: 1 });
    const emits = q2.fromBroker(publish(9, { qos: 2 }));
    expect(toBroker(emits)).toEqual([{ cmd: 'pubrec', messageId: 9 }]);
    expect((toClient(emits)[0] as IPublishPacket).qos).toBe(0);
    expect(q2.fromBroker({ cmd: 'pubrel', messageId: 9 })).toEqual([
      { to: 'broker', packet: { cmd: 'pubcomp', messageId: 9 } },
    ]);
    expect(q2.stats.hits).toBe(1);
  });

  test('drop-retained: the 1st, 3rd, ... retained delivery of a connection is lost; live and $SYS deliveries are untouched', () => {
    const s = session({ name: 'drop-retained' });
    const sys = publish(undefined, { topic: '$SYS/broker/version', retain: true });
    expect(toClient(s.fromBroker(sys))).toEqual([sys]);
    const results = deliver(s, 5, (i) => ({ retain: i !== 2 }));
    // deliveries 1, 3, 4, 5 are retained; the 1st and 3rd of those (ids 1 and 4) are dropped and PUBACKed by the proxy.
    expect(results.map((r) => toClient(r.emits).length)).toEqual([0, 1, 1, 0, 1]);
    expect(toBroker(results[3]?.emits ?? [])).toEqual([{ cmd: 'puback', messageId: 4 }]);
    expect(s.stats.samples[0]).toMatch(/dropped QoS 1 retained delivery #1 on mtb\/t/);
  });

  test('forget-sessions: a persistent-session CONNECT reaches the broker as a clean one, in 3.1.1 and 5', () => {
    const v4 = new DefectSession({ name: 'forget-sessions' });
    expect(toBroker(v4.fromClient(connectPacket({ clean: false })))).toEqual([connectPacket({ clean: true })]);
    const v5 = new DefectSession({ name: 'forget-sessions' });
    const persistent = connectPacket({
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 10 },
    });
    expect(toBroker(v5.fromClient(persistent))).toEqual([
      { ...persistent, clean: true, properties: { receiveMaximum: 10 } },
    ]);
    expect(v5.protocolVersion).toBe(5);
    const clean = connectPacket();
    expect(new DefectSession({ name: 'forget-sessions' }).fromClient(clean)[0]?.packet).toBe(clean);
  });

  test('drop: every Nth delivery never reaches the client; QoS 2 is completed with the broker by the proxy', () => {
    const s = session({ name: 'drop', every: 2 });
    const results = deliver(s, 4, () => ({ qos: 2 }));
    expect(results.map((r) => toClient(r.emits).length)).toEqual([1, 0, 1, 0]);
    expect(toBroker(results[1]?.emits ?? [])).toEqual([{ cmd: 'pubrec', messageId: 2 }]);
    expect(s.fromBroker({ cmd: 'pubrel', messageId: 2 })).toEqual([
      { to: 'broker', packet: { cmd: 'pubcomp', messageId: 2 } },
    ]);
    // The PUBREL of a delivered message goes to the client.
    expect(toClient(s.fromBroker({ cmd: 'pubrel', messageId: 1 }))).toEqual([{ cmd: 'pubrel', messageId: 1 }]);
    expect(s.stats).toMatchObject({ deliveries: 4, hits: 2 });
  });

  test('never-ack: every Nth QoS 1/2 PUBLISH of a client never reaches the broker and is never acknowledged, nor its retransmission; QoS 0 and deliveries are untouched', () => {
    const s = session({ name: 'never-ack', every: 3 });
    const sent = [1, 2, 3, 4, 5, 6].map((id) => s.fromClient(publish(id, { qos: id % 2 === 0 ? 2 : 1 })));
    expect(sent.map((emits) => toBroker(emits).length)).toEqual([1, 1, 0, 1, 1, 0]);
    expect(sent.flatMap(toClient)).toEqual([]);
    // mqtt.js resends an unacknowledged publish with DUP=1 after a reconnect: still swallowed.
    expect(s.fromClient(publish(3, { dup: true }))).toEqual([]);
    const qos0 = publish(undefined);
    expect(toBroker(s.fromClient(qos0))).toEqual([qos0]);
    const delivery = publish(9);
    expect(toClient(s.fromBroker(delivery))).toEqual([delivery]);
    expect(s.stats).toMatchObject({ hits: 2 });
    expect(s.stats.samples[0]).toMatch(/^swallowed QoS 1 PUBLISH #3 on mtb\/t \(packet id 3\)$/);
  });

  test('slow-ack: every Nth PUBACK or PUBREC to the client is held back delayMs; deliveries, PUBCOMPs and what the client sends are untouched', () => {
    const s = session({ name: 'slow-ack', every: 2, delayMs: 250 });
    const acks = [
      s.fromBroker({ cmd: 'puback', messageId: 1 }),
      s.fromBroker({ cmd: 'pubrec', messageId: 2 }),
      s.fromBroker({ cmd: 'puback', messageId: 3 }),
      s.fromBroker({ cmd: 'puback', messageId: 4 }),
    ];
    expect(acks.map((emits) => emits.map((e) => [e.to, e.packet.cmd, e.delayMs]))).toEqual([
      [['client', 'puback', undefined]],
      [['client', 'pubrec', 250]],
      [['client', 'puback', undefined]],
      [['client', 'puback', 250]],
    ]);
    const pubcomp: Packet = { cmd: 'pubcomp', messageId: 2 };
    expect(s.fromBroker(pubcomp)).toEqual([{ to: 'client', packet: pubcomp }]);
    const delivery = publish(9);
    expect(s.fromBroker(delivery).map((e) => e.delayMs)).toEqual([undefined]);
    const sent = publish(5);
    expect(s.fromClient(sent)).toEqual([{ to: 'broker', packet: sent }]);
    expect(s.stats).toMatchObject({ hits: 2 });
    expect(s.stats.samples).toEqual([
      'held back PUBREC (packet id 2) for 250 ms',
      'held back PUBACK (packet id 4) for 250 ms',
    ]);
  });

  test('duplicate: QoS 0 is sent twice; a QoS 2 copy is a separate PUBLISH with an id of its own, whose handshake never reaches the broker', () => {
    const q0 = session({ name: 'duplicate', every: 1 });
    const plain = publish(undefined);
    expect(toClient(q0.fromBroker(plain))).toEqual([plain, { ...plain, dup: false }]);

    const s = session({ name: 'duplicate', every: 1 }, 5);
    const original = publish(7, { qos: 2 });
    const sent = toClient(s.fromBroker(original)) as IPublishPacket[];
    expect(sent.map((p) => p.messageId)).toEqual([7, 65_535]);
    expect(sent[1]?.payload).toEqual(original.payload);
    // The copy's handshake is answered by the proxy.
    expect(s.fromClient({ cmd: 'pubrec', messageId: 65_535 })).toEqual([
      { to: 'client', packet: { cmd: 'pubrel', messageId: 65_535 } },
    ]);
    expect(s.fromClient({ cmd: 'pubcomp', messageId: 65_535 })).toEqual([]);
    // The original's goes to the broker.
    expect(toBroker(s.fromClient({ cmd: 'pubrec', messageId: 7 }))).toEqual([{ cmd: 'pubrec', messageId: 7 }]);
    expect(toClient(s.fromBroker({ cmd: 'pubrel', messageId: 7 }))).toEqual([{ cmd: 'pubrel', messageId: 7 }]);
    expect(toBroker(s.fromClient({ cmd: 'pubcomp', messageId: 7 }))).toEqual([{ cmd: 'pubcomp', messageId: 7 }]);
  });

  test("packet ids: a broker id that collides with one of the proxy's own in flight is mapped to a free id, and back", () => {
    const ids = new ServerFlowIds();
    expect(ids.own()).toBe(65_535);
    const mapped = ids.forBroker(65_535);
    expect(mapped).not.toBe(65_535);
    expect(ids.owner(mapped)).toEqual({ owner: 'broker', brokerId: 65_535 });
    expect(ids.clientIdOf(65_535)).toBe(mapped);
    ids.release(mapped);
    expect(ids.inFlight(65_535)).toBe(false);

    const s = session({ name: 'duplicate', every: 1 });
    s.fromBroker(publish(1)); // the copy takes 65535
    const colliding = toClient(s.fromBroker(publish(65_535, { topic: '$SYS/x' })))[0] as IPublishPacket;
    expect(colliding.messageId).not.toBe(65_535);
    expect(toBroker(s.fromClient({ cmd: 'puback', messageId: colliding.messageId as number }))).toEqual([
      { cmd: 'puback', messageId: 65_535 },
    ]);
    expect(s.fromClient({ cmd: 'puback', messageId: 65_535 })).toEqual([]); // the proxy's copy
  });

  test('reorder: a held delivery is released right after the next one, or by takeHeld() when none follows', () => {
    const s = session({ name: 'reorder', every: 2 });
    const results = deliver(s, 4);
    expect(results.map((r) => toClient(r.emits).map((p) => p.messageId))).toEqual([[1], [], [3, 2], []]);
    expect(s.holding).toBe(true);
    expect(s.takeHeld().map((e) => e.packet.messageId)).toEqual([4]);
    expect(s.holding).toBe(false);
  });

  test('corrupt: one bit of the middle payload byte is flipped, and the payload then fails the integrity check', () => {
    const s = session({ name: 'corrupt', every: 1 });
    const payload = createProbeMessage({ publisherId: 'p1', seq: 4 });
    const [sent] = toClient(s.fromBroker(publish(1, { payload }))) as IPublishPacket[];
    const changed = sent?.payload as Buffer;
    const diff = [...changed].map((byte, i) => byte ^ (payload[i] as number)).filter((x) => x !== 0);
    expect(diff).toEqual([1]);
    expect(decodeMessage(payload).kind).toBe('ok');
    expect(decodeMessage(changed).kind).toBe('corrupted');
  });

  test('wrong-qos-upgrade: every Nth QoS 0 delivery reaches the client at QoS 1 with an id of the proxy, whose PUBACK never reaches the broker', () => {
    const s = session({ name: 'wrong-qos-upgrade', every: 2 });
    const results = Array.from({ length: 4 }, () => toClient(s.fromBroker(publish(undefined))) as IPublishPacket[]);
    expect(results.map((sent) => sent.map((p) => [p.qos, p.messageId]))).toEqual([
      [[0, undefined]],
      [[1, 65_535]],
      [[0, undefined]],
      [[1, 65_534]],
    ]);
    expect(s.fromClient({ cmd: 'puback', messageId: 65_535 })).toEqual([]);
    // QoS 1 deliveries are not eligible, and their acknowledgements reach the broker.
    const q1 = publish(7);
    expect(toClient(s.fromBroker(q1))).toEqual([q1]);
    expect(toBroker(s.fromClient({ cmd: 'puback', messageId: 7 }))).toEqual([{ cmd: 'puback', messageId: 7 }]);
    expect(s.stats).toMatchObject({ deliveries: 5, hits: 2 });
    expect(s.stats.samples[0]).toMatch(/upgraded QoS 0 delivery #2 on mtb\/t to QoS 1/);
  });

  test('wrong-grant: QoS 2 grants of a SUBACK say QoS 1, in 3.1.1 and 5; the QoS 2 deliveries stay as they are', () => {
    for (const version of [4, 5] as const) {
      const s = session({ name: 'wrong-grant' }, version);
      s.fromClient({
        cmd: 'subscribe',
        messageId: 3,
        subscriptions: [
          { topic: 'a', qos: 2 },
          { topic: 'b', qos: 1 },
          { topic: 'c', qos: 2 },
        ],
      });
      const suback: ISubackPacket = { cmd: 'suback', messageId: 3, granted: [2, 1, 2] };
      expect(toClient(s.fromBroker(suback))).toEqual([{ ...suback, granted: [1, 1, 1] }]);
      expect(s.stats.samples).toEqual([
        'SUBACK grant of QoS 2 for a rewritten to QoS 1',
        'SUBACK grant of QoS 2 for c rewritten to QoS 1',
      ]);
      const delivery = publish(1, { qos: 2 });
      expect(toClient(s.fromBroker(delivery))).toEqual([delivery]);
    }
    // Any other defect passes the SUBACK on as the very object it was.
    const suback: ISubackPacket = { cmd: 'suback', messageId: 1, granted: [2] };
    expect(toClient(session({ name: 'none' }).fromBroker(suback))[0]).toBe(suback);
  });

  test('strip-retain: the 1st, 3rd, ... retained delivery of a connection arrives with RETAIN=0; live deliveries are untouched', () => {
    const s = session({ name: 'strip-retain' });
    const results = deliver(s, 5, (i) => ({ retain: i !== 2 }));
    // deliveries 1, 3, 4, 5 are retained; the 1st and 3rd of those (ids 1 and 4) lose the flag.
    expect(results.map((r) => (toClient(r.emits)[0] as IPublishPacket).retain)).toEqual([
      false,
      false,
      true,
      false,
      true,
    ]);
    expect(toClient(results[1]?.emits ?? [])[0]).toBe(results[1]?.packet);
    expect(s.stats).toMatchObject({ deliveries: 5, hits: 2 });
  });

  test('retain-live: a live delivery arrives with RETAIN=1; retained and $SYS deliveries are untouched', () => {
    const s = session({ name: 'retain-live' });
    const sys = publish(undefined, { topic: '$SYS/broker/uptime' });
    expect(toClient(s.fromBroker(sys))).toEqual([sys]);
    const results = deliver(s, 3, (i) => ({ retain: i === 3 }));
    expect(results.map((r) => (toClient(r.emits)[0] as IPublishPacket).retain)).toEqual([true, true, true]);
    expect(toClient(results[2]?.emits ?? [])[0]).toBe(results[2]?.packet);
    expect(s.stats).toMatchObject({ deliveries: 3, hits: 2 });
  });

  test('ignore-retained-delete: an empty retained PUBLISH is acknowledged to the client and never reaches the broker', () => {
    const s = session({ name: 'ignore-retained-delete' });
    const remove = (qos: 0 | 1 | 2, messageId?: number): IPublishPacket =>
      publish(messageId, { qos, retain: true, payload: Buffer.alloc(0) });
    expect(s.fromClient(remove(0))).toEqual([]);
    expect(s.fromClient(remove(1, 4))).toEqual([{ to: 'client', packet: { cmd: 'puback', messageId: 4 } }]);
    expect(s.fromClient(remove(2, 5))).toEqual([{ to: 'client', packet: { cmd: 'pubrec', messageId: 5 } }]);
    expect(s.fromClient({ cmd: 'pubrel', messageId: 5 })).toEqual([
      { to: 'client', packet: { cmd: 'pubcomp', messageId: 5 } },
    ]);
    expect(s.stats.hits).toBe(3);
    expect(s.stats.samples[1]).toBe('kept the QoS 1 retained delete on mtb/t from the broker');
    // A retained message with a payload, an empty non-retained one, and other PUBRELs go to the broker.
    for (const packet of [
      publish(6, { retain: true }),
      publish(7, { payload: Buffer.alloc(0) }),
      { cmd: 'pubrel', messageId: 8 } as Packet,
    ])
      expect(s.fromClient(packet)).toEqual([{ to: 'broker', packet }]);
  });

  test('keep-clean-sessions: a clean-session CONNECT reaches the broker as a persistent one, in 3.1.1 and 5', () => {
    const v4 = new DefectSession({ name: 'keep-clean-sessions' });
    expect(toBroker(v4.fromClient(connectPacket()))).toEqual([connectPacket({ clean: false })]);
    expect(v4.stats.samples).toEqual(['CONNECT of c1 with Clean Session 1 rewritten to Clean Session 0']);
    const v5 = new DefectSession({ name: 'keep-clean-sessions' });
    const clean = connectPacket({ protocolVersion: 5, properties: { receiveMaximum: 10 } });
    expect(toBroker(v5.fromClient(clean))).toEqual([{ ...clean, clean: false }]);
    // A persistent CONNECT, and one without a client id (which must stay clean), are untouched.
    const persistent = connectPacket({ clean: false });
    expect(new DefectSession({ name: 'keep-clean-sessions' }).fromClient(persistent)[0]?.packet).toBe(persistent);
    const anonymous = connectPacket({ clientId: '' });
    expect(new DefectSession({ name: 'keep-clean-sessions' }).fromClient(anonymous)[0]?.packet).toBe(anonymous);
  });

  test('delay: every delivery is sent after delayMs, unchanged; other packets are not delayed themselves', () => {
    const s = session({ name: 'delay', delayMs: 250 });
    for (const { packet, emits } of deliver(s, 3)) expect(emits).toEqual([{ to: 'client', packet, delayMs: 250 }]);
    const suback: ISubackPacket = { cmd: 'suback', messageId: 1, granted: [1] };
    expect(s.fromBroker(suback)).toEqual([{ to: 'client', packet: suback }]);
    expect(s.stats).toMatchObject({ deliveries: 3, hits: 3 });
    expect(new DefectSession({ name: 'delay' }).fromBroker(publish(1))[0]?.delayMs).toBe(DEFAULT_DELAY_MS);
  });

  test('describeDefect says the rate', () => {
    expect(describeDefect({ name: 'drop' })).toBe('drop: every 50th delivery is dropped');
    expect(describeDefect({ name: 'drop-retained' })).toBe(
      'drop-retained: every 2nd retained delivery is lost (from the 1st on each connection)',
    );
    expect(describeDefect({ name: 'forget-sessions' })).toBe(
      'forget-sessions: every persistent-session CONNECT reaches the broker as a clean one: sessions are forgotten',
    );
    expect(describeDefect({ name: 'delay', delayMs: 1_500 })).toBe('delay: every delivery is held back 1,500 ms');
    expect(() => describeDefect({ name: 'drop', every: 0 })).toThrow(/every must be a whole number >= 1/);
    expect(() => describeDefect({ name: 'delay', delayMs: 0 })).toThrow(/delayMs must be a whole number/);
    expect(() => describeDefect({ name: 'drop', delayMs: 10 })).toThrow(
      /delayMs is for the delay and slow-ack defects only/,
    );
    expect(describeDefect({ name: 'slow-ack', delayMs: 300 })).toBe(
      'slow-ack: every PUBACK or PUBREC to a publisher is held back 300 ms',
    );
  });
});
