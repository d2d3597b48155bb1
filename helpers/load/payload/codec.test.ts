import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Range } from './crc32-range.js';
import { parseWorkload } from '../workload.js';
import {
  BodyPool,
  createProbeMessage,
  decodeMessage,
  encodeMessage,
  MIN_FIXED_PAYLOAD_BYTES,
  wrapEventCall,
  type DecodedMessage,
} from './index.js';

const IDENTITY = { publisherId: 'a1b2c3-7', seq: 42, sendUs: 123_456_789_012, intendedUs: 123_456_780_000 };

function telemetryPool(minPoints = 10, maxPoints = 200, seed = 1): BodyPool {
  return new BodyPool({ kind: 'telemetry', minPoints, maxPoints }, seed);
}

function expectOk(decoded: DecodedMessage): Extract<DecodedMessage, { kind: 'ok' }> {
  if (decoded.kind !== 'ok') throw new Error(`expected ok, got ${decoded.kind}: ${decoded.reason}`);
  return decoded;
}

describe('message codec', () => {
  it('round-trips identity, send time and intended send time', () => {
    const body = telemetryPool().bodyFor(IDENTITY.publisherId, 7, IDENTITY.seq);
    const decoded = expectOk(decodeMessage(encodeMessage(IDENTITY, body)));
    expect(decoded).toMatchObject({ ...IDENTITY, bodyBytes: body.bytes.length, reparsed: false });
  });

  it('produces a JSON array of telemetry points led by the identity point', () => {
    const message = encodeMessage(IDENTITY, telemetryPool(10, 10).bodyFor(IDENTITY.publisherId, 0, 0));
    const points = JSON.parse(message.toString()) as { name: string; value: string; time?: string }[];
    expect(points).toHaveLength(11);
    expect(points[0]?.name).toBe('mtb');
    expect(points[1]?.name).toMatch(/^RTU\.COM\d\.T\d-\d\d-\d\d\.(AI|DI)\d\d$/);
    expect(points[1]?.time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(message.length).toBeGreaterThan(700);
  });

  it('generates telemetry of 10 to 200 points (about 0.7 to 15 KB) deterministically from the seed', () => {
    const pool = telemetryPool();
    const sizes = Array.from({ length: 64 }, (_, i) => pool.bodyFor('p', 0, i).bytes.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10 * 70);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(200 * 80);
    const again = telemetryPool();
    expect(Array.from({ length: 64 }, (_, i) => again.bodyFor('p', 0, i).bytes.length)).toEqual(sizes);
    expect(telemetryPool(10, 200, 2).bodyFor('p', 0, 0).bytes).not.toEqual(pool.bodyFor('p', 0, 0).bytes);
  });

  it('makes fixed-size payloads of exactly the requested bytes for any publisher id length', () => {
    const pool = new BodyPool({ kind: 'fixed', bytes: 1024 }, 1);
    for (const publisherId of ['p', 'abc-12', 'x'.repeat(32)]) {
      const message = encodeMessage({ ...IDENTITY, publisherId }, pool.bodyFor(publisherId, 3, 9));
      expect(message.length).toBe(1024);
      expect(expectOk(decodeMessage(message)).publisherId).toBe(publisherId);
    }
    const smallest = new BodyPool({ kind: 'fixed', bytes: MIN_FIXED_PAYLOAD_BYTES }, 1);
    const tight = encodeMessage({ ...IDENTITY, publisherId: 'x'.repeat(32) }, smallest.bodyFor('x'.repeat(32), 0, 0));
    expect(tight.length).toBe(MIN_FIXED_PAYLOAD_BYTES);
  });

  it('decodes a message wrapped by EventCall exactly as the forwarder sends it', () => {
    const original = encodeMessage(IDENTITY, telemetryPool().bodyFor(IDENTITY.publisherId, 1, 1));
    const wrapped = wrapEventCall(original, 'devices/rtu/gateway-17');
    expect(wrapped.toString()).toBe(
      `{"data":${original.toString()},"operationType":"uploadRtd","projectID":"X2View",` +
        `"requestType":"wrequest","serialNo":0,"webtalkID":"gateway-17"}`,
    );
    expect(expectOk(decodeMessage(wrapped))).toMatchObject({ ...IDENTITY, reparsed: false });
  });

  it('accepts a path that re-serialises the JSON (indentation, key order, data as a string)', () => {
    const original = encodeMessage(IDENTITY, telemetryPool().bodyFor(IDENTITY.publisherId, 2, 2));
    const pretty = Buffer.from(JSON.stringify(JSON.parse(original.toString()), null, 2));
    expect(expectOk(decodeMessage(pretty))).toMatchObject({ ...IDENTITY, reparsed: true });

    const wrapped = JSON.parse(wrapEventCall(original, 't/x').toString()) as { data: Record<string, string>[] };
    const reordered = wrapped.data.map((point) => Object.fromEntries(Object.entries(point).reverse()));
    const rewrapped = Buffer.from(JSON.stringify({ webtalkID: 'x', data: reordered }, null, 1));
    expect(expectOk(decodeMessage(rewrapped))).toMatchObject({ seq: IDENTITY.seq, reparsed: true });

    const asString = Buffer.from(JSON.stringify({ data: original.toString(), serialNo: 0 }));
    expect(expectOk(decodeMessage(asString)).seq).toBe(IDENTITY.seq);
  });

  it('flags a truncated payload as corrupted', () => {
    const message = encodeMessage(IDENTITY, telemetryPool().bodyFor(IDENTITY.publisherId, 0, 5));
    for (const cut of [message.length - 1, Math.floor(message.length / 2), 60]) {
      const decoded = decodeMessage(message.subarray(0, cut));
      expect(decoded.kind).toBe('corrupted');
    }
  });

  it('flags a flipped bit in the frame around the identity point and body (plain and wrapped)', () => {
    const message = encodeMessage(IDENTITY, telemetryPool().bodyFor(IDENTITY.publisherId, 0, 9));
    const wrapped = wrapEventCall(message, 'devices/gw-1');
    const flip = (buffer: Buffer, index: number) => {
      const copy = Buffer.from(buffer);
      copy[index] = (copy[index] as number) ^ 0x01;
      return copy;
    };
    // The opening bracket, the closing bracket, and the wrapper's `{"data":[` / final brace.
    for (const [buffer, index] of [
      [message, 0],
      [message, message.length - 1],
      [wrapped, 0],
      [wrapped, 8],
      [wrapped, wrapped.length - 1],
    ] as const) {
      expect(decodeMessage(flip(buffer, index)).kind, `bit flipped at byte ${index}`).toBe('corrupted');
    }
  });

  it('flags an altered body, an altered sequence and an altered send time as corrupted', () => {
    const message = encodeMessage(IDENTITY, telemetryPool().bodyFor(IDENTITY.publisherId, 0, 5));
    const text = message.toString();

    const body = Buffer.from(message);
    const valueAt = text.indexOf('"value":"', 120) + 9;
    body[valueAt] = body[valueAt] === 0x31 ? 0x32 : 0x31;
    const bodyDecoded = decodeMessage(body);
    expect(bodyDecoded.kind).toBe('corrupted');
    if (bodyDecoded.kind === 'corrupted') {
      expect(bodyDecoded.reason).toMatch(/CRC32/);
      expect(bodyDecoded.claimed).toEqual({ publisherId: IDENTITY.publisherId, seq: IDENTITY.seq });
    }

    const seq = Buffer.from(text.replace(':0000000042:', ':0000000043:'));
    expect(decodeMessage(seq).kind).toBe('corrupted');
    const sent = Buffer.from(text.replace(':000123456789012:', ':000123456789013:'));
    expect(decodeMessage(sent).kind).toBe('corrupted');
  });

  it('flags a message whose points were changed but that still parses as corrupted', () => {
    const message = encodeMessage(IDENTITY, telemetryPool(10, 10).bodyFor(IDENTITY.publisherId, 0, 5));
    const points = JSON.parse(message.toString()) as unknown[];
    const dropped = Buffer.from(JSON.stringify(points.slice(0, -1)));
    const decoded = decodeMessage(dropped);
    expect(decoded.kind).toBe('corrupted');
  });

  it('verifies against the expected body when the receiver knows it, with the same verdicts', () => {
    const pool = telemetryPool();
    const expected = (publisherId: string, seq: number) => pool.bodyFor(publisherId, 7, seq);
    const message = encodeMessage(IDENTITY, pool.bodyFor(IDENTITY.publisherId, 7, IDENTITY.seq));
    expect(expectOk(decodeMessage(message, expected))).toMatchObject({ ...IDENTITY, reparsed: false });
    const altered = Buffer.from(message);
    const at = message.indexOf('"value":"', 120) + 9;
    altered[at] = altered[at] === 0x31 ? 0x32 : 0x31;
    expect(decodeMessage(altered, expected).kind).toBe('corrupted');
    const otherSeq = Buffer.from(message.toString().replace(':0000000042:', ':0000000043:'));
    expect(decodeMessage(otherSeq, expected).kind).toBe('corrupted');
    expect(expectOk(decodeMessage(message, () => undefined)).seq).toBe(IDENTITY.seq);
  });

  it('reports a message without an identity header as foreign', () => {
    for (const payload of ['hello', '{"a":1}', '[1,2,3]', '[{"name":"RTU.COM1.T1-01-01.AI01","value":"1"}]', '']) {
      expect(decodeMessage(Buffer.from(payload)).kind).toBe('foreign');
    }
  });

  it('creates a single probe message for conformance suites', () => {
    const probe = createProbeMessage({ publisherId: 'qos-matrix', seq: 3, sendUs: 1000 });
    expect(expectOk(decodeMessage(probe))).toMatchObject({
      publisherId: 'qos-matrix',
      seq: 3,
      sendUs: 1000,
      intendedUs: 1000,
    });
    expect(() => createProbeMessage({ publisherId: 'bad:id', seq: 0 })).toThrow(/publisherId "bad:id"/);
  });

  it('takes the payload spec straight from a validated workload', () => {
    const workload = parseWorkload({
      name: 'w',
      publishers: 1,
      subscribers: 1,
      qos: 0,
      messages: 1,
      payload: { kind: 'fixed', bytes: 300 },
    });
    const message = encodeMessage(
      IDENTITY,
      new BodyPool(workload.payload, workload.seed).bodyFor(IDENTITY.publisherId, 0, 0),
    );
    expect(message.length).toBe(300);
  });
});

describe('crc32Range', () => {
  it('matches zlib.crc32, also when continuing from a previous CRC', () => {
    const bytes = Buffer.from('1:abc-0:0000000042:000123456789012:000123456789012:00000950 and more');
    for (const initial of [0, 1, 0xdeadbeef, 0xffffffff]) {
      expect(crc32Range(bytes, 3, 40, initial)).toBe(crc32(bytes.subarray(3, 40), initial));
    }
    expect(crc32Range(bytes, 0, 0, 7)).toBe(7);
  });
});
