import mqtt from 'mqtt';
import mqttPacket, { type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createProbeMessage, decodeMessage } from '../load/payload/index.js';
import { selftestBrokerUnavailable, startSelftestBroker, type SelftestBroker } from './broker.js';
import { DefectSession, describeDefect, ServerFlowIds, type DefectSpec, type Emit } from './defects.js';
import { FrameSplitter, startFaultyProxy, type FaultyProxy } from './faulty-proxy.js';

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

  test('describeDefect says the rate', () => {
    expect(describeDefect({ name: 'drop' })).toBe('drop: every 50th delivery is dropped');
    expect(describeDefect({ name: 'drop-retained' })).toBe(
      'drop-retained: every 2nd retained delivery is lost (from the 1st on each connection)',
    );
    expect(describeDefect({ name: 'forget-sessions' })).toBe(
      'forget-sessions: every persistent-session CONNECT reaches the broker as a clean one: sessions are forgotten',
    );
    expect(() => describeDefect({ name: 'drop', every: 0 })).toThrow(/every must be a whole number >= 1/);
  });

  test('frames are cut at packet boundaries, across chunks and with multi-byte remaining lengths', () => {
    const big = mqttPacket.generate(publish(1, { payload: Buffer.alloc(20_000, 7) }));
    const small = mqttPacket.generate({ cmd: 'pingreq' });
    const stream = Buffer.concat([small, big, small]);
    const splitter = new FrameSplitter();
    const frames = [
      stream.subarray(0, 1),
      stream.subarray(1, 5),
      stream.subarray(5, 10_000),
      stream.subarray(10_000),
    ].flatMap((chunk) => splitter.push(chunk));
    expect(frames.map((f) => f.length)).toEqual([small.length, big.length, small.length]);
    expect(Buffer.concat(frames)).toEqual(stream);
  });
});

describe('faulty proxy end to end (mosquitto behind the proxy)', () => {
  const unavailable = selftestBrokerUnavailable(process.env.MQTT_TESTBENCH_MOSQUITTO_BIN);
  let broker: SelftestBroker | undefined;
  let proxy: FaultyProxy | undefined;
  beforeAll(async () => {
    if (unavailable) return;
    broker = await startSelftestBroker('selftest-unit-broker', {
      binary: process.env.MQTT_TESTBENCH_MOSQUITTO_BIN,
      startupTimeoutMs: 20_000,
    });
    proxy = await startFaultyProxy({ upstream: { host: broker.host, port: broker.port }, defect: { name: 'none' } });
  }, 30_000);
  afterAll(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  /** Publishes `count` messages at `qos` through the proxy and returns what one subscriber got (after a QoS 1 marker). */
  async function roundTrip(
    version: 4 | 5,
    qos: 0 | 1 | 2,
    count: number,
  ): Promise<{ payloads: string[]; qos: number[] }> {
    const url = (proxy as FaultyProxy).url;
    const topic = `mtb/selftest-unit/${version}/${qos}/${Date.now()}`;
    const sub = await mqtt.connectAsync(url, { protocolVersion: version, reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(url, { protocolVersion: version, reconnectPeriod: 0 });
    try {
      const got: { payload: string; qos: number }[] = [];
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      sub.on('message', (t, payload, packet) => {
        if (t === `${topic}/end`) done();
        else got.push({ payload: payload.toString(), qos: packet.qos });
      });
      await sub.subscribeAsync({ [topic]: { qos: 2 }, [`${topic}/end`]: { qos: 1 } });
      for (let i = 0; i < count; i += 1) await pub.publishAsync(topic, `m${i}`, { qos });
      // QoS 2 deliveries reach the application at PUBREL: give the last ones their round trip.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await pub.publishAsync(`${topic}/end`, 'end', { qos: 1 });
      await finished;
      return { payloads: got.map((g) => g.payload), qos: got.map((g) => g.qos) };
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  }

  test('transparent without a defect, and a QoS 2 duplicate is a real second delivery that leaves the session working', async ({
    skip,
  }) => {
    if (unavailable) return skip(unavailable);
    const p = proxy as FaultyProxy;
    for (const version of [4, 5] as const) {
      const clean = await roundTrip(version, 2, 10);
      expect(clean.payloads, `MQTT ${version} through a transparent proxy`).toEqual(
        Array.from({ length: 10 }, (_, i) => `m${i}`),
      );
      expect(new Set(clean.qos)).toEqual(new Set([2]));
    }
    expect(p.stats()).toMatchObject({ hits: 0, protocolErrors: [] });

    p.setDefect({ name: 'duplicate', every: 4 });
    const doubled = await roundTrip(5, 2, 10);
    // QoS 2 reaches the application at PUBREL, and the proxy releases its copies at once: compare as a multiset.
    expect([...doubled.payloads].sort()).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm3',
      'm4',
      'm5',
      'm6',
      'm7',
      'm7',
      'm8',
      'm9',
    ]);
    expect(p.stats()).toMatchObject({ hits: 2, protocolErrors: [] });

    p.setDefect({ name: 'wrong-qos-downgrade', every: 5 });
    const downgraded = await roundTrip(4, 2, 10);
    expect(downgraded.qos).toEqual([2, 2, 2, 2, 0, 2, 2, 2, 2, 0]);

    // The broker's session is still sane afterwards: a clean round trip through the same proxy.
    p.setDefect({ name: 'none' });
    expect((await roundTrip(5, 1, 5)).payloads).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(p.stats().protocolErrors).toEqual([]);
  }, 30_000);
});
