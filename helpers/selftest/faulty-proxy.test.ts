import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { selftestBrokerUnavailable, startSelftestBroker, type SelftestBroker } from './broker.js';
import { DelayLine, FrameSplitter, startFaultyProxy, type FaultyProxy } from './faulty-proxy.js';

describe('faulty proxy framing', () => {
  test('frames are cut at packet boundaries, across chunks and with multi-byte remaining lengths', () => {
    const big = mqttPacket.generate({
      cmd: 'publish',
      topic: 'mtb/t',
      payload: Buffer.alloc(20_000, 7),
      qos: 1,
      messageId: 1,
      dup: false,
      retain: false,
    });
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

describe('delay line', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('each chunk leaves after its own delay, and never before one given earlier', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const sent: string[] = [];
    const line = new DelayLine((bytes) => sent.push(bytes.toString()));
    line.write(Buffer.from('a'), 0); // nothing waiting: written at once
    line.write(Buffer.from('b'), 100);
    line.write(Buffer.from('c'), 0); // waits behind b
    vi.advanceTimersByTime(50);
    line.write(Buffer.from('d'), 100);
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(50);
    expect(sent).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(49);
    expect(sent).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
    line.write(Buffer.from('e'), 100);
    line.clear();
    vi.advanceTimersByTime(1_000);
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
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

  test('delay holds every delivery back by delayMs, in order; an upgraded QoS 0 delivery and an ignored retained delete leave the session working', async ({
    skip,
  }) => {
    if (unavailable) return skip(unavailable);
    const p = proxy as FaultyProxy;
    p.setDefect({ name: 'delay', delayMs: 300 });
    const delayed = await roundTrip(4, 1, 5);
    // Five deliveries and the end marker, each held back, and none overtakes another.
    expect(delayed.payloads).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(p.stats()).toMatchObject({ hits: 6, deliveries: 6, protocolErrors: [] });
    const sub = await mqtt.connectAsync(p.url, { reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(p.url, { reconnectPeriod: 0 });
    try {
      const topic = `mtb/selftest-unit/delay/${Date.now()}`;
      await sub.subscribeAsync(topic, { qos: 1 });
      const arrivedAt = new Promise<number>((resolve) => sub.once('message', () => resolve(performance.now())));
      const sentAt = performance.now();
      await pub.publishAsync(topic, 'late', { qos: 1 });
      expect((await arrivedAt) - sentAt, 'publish-to-delivery time through a 300 ms delay').toBeGreaterThanOrEqual(300);
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }

    p.setDefect({ name: 'wrong-qos-upgrade', every: 2 });
    expect((await roundTrip(5, 0, 4)).qos).toEqual([0, 1, 0, 1]);

    p.setDefect({ name: 'ignore-retained-delete' });
    const topic = `mtb/selftest-unit/retained/${Date.now()}`;
    const owner = await mqtt.connectAsync(p.url, { reconnectPeriod: 0 });
    try {
      await owner.publishAsync(topic, 'kept', { qos: 1, retain: true });
      await owner.publishAsync(topic, Buffer.alloc(0), { qos: 2, retain: true }); // completed by the proxy
      const late = await mqtt.connectAsync(p.url, { reconnectPeriod: 0 });
      try {
        const arrived = new Promise<string>((resolve) =>
          late.once('message', (_t, payload) => resolve(payload.toString())),
        );
        await late.subscribeAsync(topic, { qos: 1 });
        expect(await arrived).toBe('kept');
      } finally {
        await late.endAsync();
      }
      expect(p.stats()).toMatchObject({ hits: 1, protocolErrors: [] });
    } finally {
      p.setDefect({ name: 'none' });
      await owner.endAsync();
      const cleaner = await mqtt.connectAsync(p.url, { reconnectPeriod: 0 });
      await cleaner.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
      await cleaner.endAsync();
    }
    expect((await roundTrip(5, 1, 3)).payloads).toEqual(['m0', 'm1', 'm2']);
  }, 30_000);
});
