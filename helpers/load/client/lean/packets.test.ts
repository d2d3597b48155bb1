import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { bufferPayload } from '../types.js';
import { FrameError, FrameReader } from './frame-reader.js';
import { InflightTable } from './inflight-table.js';
import { connackMessage, readConnack, readSuback, skipProperties } from './inbound.js';
import { encodeAck, encodeConnect, encodePublish, encodeSubscribe, PacketType, publishTemplate } from './packets.js';

/** Parses what the lean client writes with mqtt.js's own parser: the wire format is checked by an independent implementation. */
function parse(bytes: Buffer, protocolVersion: 4 | 5): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: Packet[] = [];
  parser.on('packet', (packet: Packet) => packets.push(packet));
  parser.on('error', (error: Error) => {
    throw error;
  });
  parser.parse(bytes);
  return packets;
}

describe('lean client packets, read back by mqtt-packet', () => {
  for (const protocolVersion of [4, 5] as const) {
    it(`CONNECT, PUBLISH, SUBSCRIBE and acknowledgements (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'})`, () => {
      const connect = parse(
        encodeConnect({
          protocolVersion,
          clientId: 'lean-1',
          clean: false,
          keepaliveSeconds: 42,
          username: 'u',
          password: 'p',
        }),
        protocolVersion,
      )[0];
      expect(connect).toMatchObject({
        cmd: 'connect',
        protocolVersion,
        clientId: 'lean-1',
        clean: false,
        keepalive: 42,
        username: 'u',
      });
      expect(String((connect as { password?: Buffer }).password)).toBe('p');

      const payload = Buffer.from('x'.repeat(300));
      for (const qos of [0, 1, 2] as const) {
        const publish = parse(
          encodePublish(publishTemplate('a/b', qos, protocolVersion), qos ? 513 : 0, bufferPayload(payload)),
          protocolVersion,
        )[0];
        expect(publish).toMatchObject({
          cmd: 'publish',
          topic: 'a/b',
          qos,
          retain: false,
          dup: false,
          ...(qos ? { messageId: 513 } : {}),
        });
        expect(Buffer.compare((publish as { payload: Buffer }).payload, payload)).toBe(0);
      }
      expect(parse(encodeSubscribe(protocolVersion, 7, 'mtb/#', 2), protocolVersion)[0]).toMatchObject({
        cmd: 'subscribe',
        messageId: 7,
        subscriptions: [{ topic: 'mtb/#', qos: 2 }],
      });
      expect(
        parse(
          Buffer.concat([
            encodeAck(PacketType.PUBACK, 1),
            encodeAck(PacketType.PUBREC, 2),
            encodeAck(PacketType.PUBREL, 3),
            encodeAck(PacketType.PUBCOMP, 65_535),
          ]),
          protocolVersion,
        ).map((p) => [p.cmd, p.messageId]),
      ).toEqual([
        ['puback', 1],
        ['pubrec', 2],
        ['pubrel', 3],
        ['pubcomp', 65_535],
      ]);
    });
  }

  it('encodes a Remaining Length of several bytes (a 200 KB payload)', () => {
    const payload = Buffer.alloc(200_000, 1);
    const [publish] = parse(encodePublish(publishTemplate('t', 1, 4), 1, bufferPayload(payload)), 4);
    expect((publish as { payload: Buffer }).payload.length).toBe(200_000);
  });

  it('refuses values MQTT cannot carry, naming them', () => {
    expect(() => encodeConnect({ protocolVersion: 4, clientId: 'c', clean: true, keepaliveSeconds: 70_000 })).toThrow(
      /keepalive is 70000; allowed: an integer number of seconds from 0 to 65535/,
    );
    expect(() => publishTemplate('t'.repeat(70_000), 0, 4)).toThrow(/topic is 70000 bytes; MQTT allows at most 65535/);
  });
});

describe('lean client inbound packets, written by mqtt-packet', () => {
  const frames = (bytes: Buffer): [number, Buffer, number, number][] => {
    const out: [number, Buffer, number, number][] = [];
    new FrameReader(
      (first, data, start, length) => out.push([first, Buffer.from(data.subarray(start, start + length)), 0, length]),
      1 << 20,
    ).push(bytes);
    return out;
  };

  it('reads CONNACK codes and the MQTT 5 properties a client must obey', () => {
    const v4 = mqttPacket.generate({ cmd: 'connack', returnCode: 4, sessionPresent: false });
    const [[, body4, , len4]] = frames(v4) as [[number, Buffer, number, number]];
    expect(readConnack(4, body4, 0, len4)).toMatchObject({ code: 4, sessionPresent: false, receiveMaximum: 65_535 });
    expect(connackMessage(4, 4)).toBe('Connection refused: Bad username or password');

    const v5 = mqttPacket.generate(
      {
        cmd: 'connack',
        reasonCode: 0,
        sessionPresent: true,
        properties: {
          receiveMaximum: 20,
          maximumQoS: 1,
          serverKeepAlive: 30,
          maximumPacketSize: 4096,
          reasonString: 'hi',
          userProperties: { a: 'b' },
        },
      },
      { protocolVersion: 5 },
    );
    const [[, body5, , len5]] = frames(v5) as [[number, Buffer, number, number]];
    expect(readConnack(5, body5, 0, len5)).toEqual({
      code: 0,
      sessionPresent: true,
      receiveMaximum: 20,
      maximumQos: 1,
      serverKeepAlive: 30,
      maximumPacketSize: 4096,
      reasonString: 'hi',
    });
  });

  it('reads SUBACK codes and skips MQTT 5 PUBLISH properties', () => {
    const suback = mqttPacket.generate(
      { cmd: 'suback', messageId: 9, granted: [0x80], properties: { reasonString: 'no' } },
      { protocolVersion: 5 },
    );
    const [[, body, , length]] = frames(suback) as [[number, Buffer, number, number]];
    expect(readSuback(5, body, 0, length)).toEqual({ packetId: 9, code: 0x80 });

    const publish = mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 'x',
        qos: 1,
        messageId: 3,
        payload: Buffer.from('body'),
        dup: false,
        retain: false,
        properties: { messageExpiryInterval: 9, userProperties: { k: 'v' } },
      },
      { protocolVersion: 5 },
    );
    const [[, pbody, , plength]] = frames(publish) as [[number, Buffer, number, number]];
    const afterId = 2 + 1 + 2;
    expect(pbody.toString('latin1', skipProperties(pbody, afterId, plength))).toBe('body');
  });

  it('splits packets across any chunk boundary and copies only the cut one', () => {
    const stream = Buffer.concat([
      encodeAck(PacketType.PUBACK, 1),
      encodePublish(publishTemplate('t', 0, 4), 0, bufferPayload(Buffer.alloc(500, 7))),
      encodeAck(PacketType.PUBACK, 2),
    ]);
    for (const cut of [1, 2, 3, 5, 6, 200, stream.length - 1]) {
      const seen: number[] = [];
      const reader = new FrameReader(
        (first, _data, _start, length) => seen.push((first >> 4) * 1000 + length),
        1 << 20,
      );
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      expect(seen, `cut at ${cut}`).toEqual([4002, 3503, 4002]);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('refuses a packet above the size limit instead of buffering it', () => {
    const reader = new FrameReader(() => undefined, 100);
    expect(() => reader.push(encodePublish(publishTemplate('t', 0, 4), 0, bufferPayload(Buffer.alloc(500))))).toThrow(
      FrameError,
    );
  });
});

describe('in-flight table', () => {
  it('hands out distinct ids, finds them after growing, and frees them', () => {
    const table = new InflightTable();
    const calls: number[] = [];
    const ids = Array.from({ length: 1000 }, (_, i) => table.add(() => calls.push(i)));
    expect(new Set(ids).size).toBe(1000);
    expect(ids.every((id) => id >= 1 && id <= 65_535 && table.has(id))).toBe(true);
    // Out of order: every other one comes back first.
    for (let i = 0; i < ids.length; i += 2) table.take(ids[i] as number)?.(undefined, 0);
    expect(table.size).toBe(500);
    const more = Array.from({ length: 500 }, () => table.add(() => undefined));
    expect(new Set([...ids.filter((_, i) => i % 2 === 1), ...more]).size).toBe(1000);
    expect(table.take(ids[0] as number)).toBeUndefined();
    expect(table.takeAll()).toHaveLength(1000);
    expect(table.size).toBe(0);
    expect(calls).toHaveLength(500);
  });

  it('never reuses an id in flight across the 65,535 wrap, and says when all are taken', () => {
    const table = new InflightTable();
    const stuck = table.add(() => undefined);
    // Plain checks in the loops, one expect after each: 135,000 expect calls took seconds.
    const reused: number[] = [];
    for (let i = 0; i < 70_000; i++) {
      const id = table.add(() => undefined);
      if (id === stuck) reused.push(i);
      table.take(id);
    }
    expect(reused, `id ${stuck} (still in flight) was handed out again`).toEqual([]);
    const refused: number[] = [];
    for (let i = 0; i < 65_534; i++) if (!(table.add(() => undefined) > 0)) refused.push(i);
    expect(refused, 'ids refused while some were still free').toEqual([]);
    expect(table.add(() => undefined)).toBe(0);
  });
});
