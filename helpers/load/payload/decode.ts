import { crc32 } from 'node:zlib';
import {
  crcHex,
  HEADER_PREFIX,
  HEADER_SUFFIX,
  IDENTITY_POINT_NAME,
  parseHeaderValue,
  type MessageIdentity,
  type ParsedHeader,
} from './header.js';
import type { PayloadBody } from './body-pool.js';
import { crc32Range } from './crc32-range.js';
import { pointsToBodyJson } from './telemetry.js';

/**
 * The body a publisher sent for a sequence, when the receiver can know it
 * (same run, same seed). Comparing bytes (memcmp) is much cheaper than
 * CRC-ing them and gives the same verdict: identical bytes have the known CRC.
 */
export type ExpectedBody = (publisherId: string, seq: number) => PayloadBody | undefined;

export type DecodedMessage =
  | (MessageIdentity & {
      kind: 'ok';
      /** Body bytes covered by the CRC. */
      bodyBytes: number;
      /** True when only the slow path (JSON re-parse) matched: the path re-serialised the payload. */
      reparsed: boolean;
    })
  | {
      kind: 'corrupted';
      reason: string;
      /** Identity as read from a header that failed its check: a hint, not trusted. */
      claimed?: { publisherId: string; seq: number };
    }
  | { kind: 'foreign'; reason: string };

const PREFIX_BYTES = Buffer.from(HEADER_PREFIX, 'latin1');
const SUFFIX_QUOTE = HEADER_SUFFIX.charCodeAt(0);
const SUFFIX_BRACE = HEADER_SUFFIX.charCodeAt(1);
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const WRAP_PREFIX = Buffer.from('{"data":[', 'latin1');
/** How deep the slow path looks for `data` wrappers ({"data":{"data":[...]}}). */
const MAX_WRAP_DEPTH = 4;

/**
 * Identity and integrity of one received payload, plain or wrapped by a
 * forwarder (e.g. EventCall's {"data":[...],...}). Fast path: locate the
 * header bytes with indexOf and check the CRC in place (no JSON.parse). If
 * that fails, the slow path re-parses the JSON, unwraps `data`, re-serialises
 * the points compactly in canonical key order and checks again, so a forwarder
 * that merely re-serialises JSON is not flagged; only then is it corrupted.
 */
export function decodeMessage(payload: Buffer, expectedBody?: ExpectedBody): DecodedMessage {
  const at = prefixAt(payload, 1)
    ? 1
    : prefixAt(payload, WRAP_PREFIX.length)
      ? WRAP_PREFIX.length
      : payload.indexOf(PREFIX_BYTES);
  if (at < 0) return decodeByParsing(payload, undefined);
  const fast = checkInPlace(payload, at + PREFIX_BYTES.length, expectedBody);
  if (fast.kind !== 'ok') return decodeByParsing(payload, fast);
  // The CRC covers the header fields and the body only: the bytes around them must be exactly a
  // plain array or EventCall's wrapper, or a flipped bracket would pass unnoticed. Any other
  // layout is judged by the slow path, which at least requires valid JSON.
  return hasKnownFrame(payload, at, fast.bodyEnd)
    ? fast.decoded
    : decodeByParsing(payload, { kind: 'corrupted', reason: 'unexpected bytes around the identity point and body' });
}

/** Whether the header prefix starts at `at`: the two places it stands in every known frame, checked before searching. */
function prefixAt(payload: Buffer, at: number): boolean {
  if (payload.length < at + PREFIX_BYTES.length) return false;
  for (let k = 0; k < PREFIX_BYTES.length; k++) if (payload[at + k] !== PREFIX_BYTES[k]) return false;
  return true;
}

/** `[` + points + `]` (plain), or `{"data":[` + points + `],...}` (EventCall: the forwarder's own fields follow). */
function hasKnownFrame(payload: Buffer, headerAt: number, bodyEnd: number): boolean {
  const last = payload.length - 1;
  if (headerAt === 1) return payload[0] === OPEN_BRACKET && bodyEnd === last;
  return (
    headerAt === WRAP_PREFIX.length &&
    payload.compare(WRAP_PREFIX, 0, WRAP_PREFIX.length, 0, WRAP_PREFIX.length) === 0 &&
    (payload[bodyEnd + 1] === COMMA || payload[bodyEnd + 1] === CLOSE_BRACE) &&
    payload[last] === CLOSE_BRACE
  );
}

type DecodedOk = Extract<DecodedMessage, { kind: 'ok' }>;
type FastFailure = { kind: 'corrupted'; reason: string; claimed?: { publisherId: string; seq: number } };
type FastSuccess = { kind: 'ok'; decoded: DecodedOk; bodyEnd: number };

function checkInPlace(
  payload: Buffer,
  valueStart: number,
  expectedBody: ExpectedBody | undefined,
): FastSuccess | FastFailure {
  const parsed = parseHeaderValue(payload, valueStart, payload.length);
  if (!parsed.ok) return { kind: 'corrupted', reason: parsed.reason };
  const header = parsed.header;
  const claimed = { publisherId: header.publisherId, seq: header.seq };
  let i = valueStart + header.valueLength;
  if (payload[i] !== SUFFIX_QUOTE || payload[i + 1] !== SUFFIX_BRACE) {
    return { kind: 'corrupted', reason: 'identity point is not closed after the header', claimed };
  }
  i += 2;
  let bodyStart = i;
  if (header.bodyLength > 0) {
    if (payload[i] !== COMMA) return { kind: 'corrupted', reason: 'no "," after the identity point', claimed };
    bodyStart = i + 1;
  }
  const bodyEnd = bodyStart + header.bodyLength;
  if (bodyEnd >= payload.length) {
    return {
      kind: 'corrupted',
      reason: `truncated: header announces ${header.bodyLength} body bytes, ${Math.max(0, payload.length - bodyStart)} follow`,
      claimed,
    };
  }
  if (payload[bodyEnd] !== CLOSE_BRACKET) {
    return {
      kind: 'corrupted',
      reason: 'body length differs from the header (no "]" where the body should end)',
      claimed,
    };
  }
  const expected = expectedBody?.(header.publisherId, header.seq);
  const bodyCrc =
    expected !== undefined &&
    expected.bytes.length === header.bodyLength &&
    payload.compare(expected.bytes, 0, header.bodyLength, bodyStart, bodyEnd) === 0
      ? expected.crc
      : crc32(payload.subarray(bodyStart, bodyEnd));
  const crc = crc32Range(payload, valueStart, valueStart + header.fieldsLength, bodyCrc);
  if (crc !== header.crc) {
    return { kind: 'corrupted', reason: `CRC32 ${crcHex(crc)} differs from header ${crcHex(header.crc)}`, claimed };
  }
  return { kind: 'ok', decoded: ok(header, false), bodyEnd };
}

function decodeByParsing(payload: Buffer, fast: FastFailure | undefined): DecodedMessage {
  const fail = (reason: string): DecodedMessage =>
    fast
      ? {
          kind: 'corrupted',
          reason: `${fast.reason}; re-parse: ${reason}`,
          ...(fast.claimed ? { claimed: fast.claimed } : {}),
        }
      : { kind: 'foreign', reason };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail('payload is not valid JSON');
  }
  const points = findPointArray(json, 0);
  if (!points) return fail('no JSON array of points (plain or under "data")');
  const index = points.findIndex(isIdentityPoint);
  if (index < 0) return fail(`no "${IDENTITY_POINT_NAME}" identity point`);
  const value = Buffer.from((points[index] as { value: string }).value, 'latin1');
  const parsed = parseHeaderValue(value, 0, value.length);
  if (!parsed.ok) return { kind: 'corrupted', reason: parsed.reason };
  const header = parsed.header;
  const claimed = { publisherId: header.publisherId, seq: header.seq };
  if (header.valueLength !== value.length) {
    return { kind: 'corrupted', reason: 'identity value has trailing characters', claimed };
  }
  const body = Buffer.from(pointsToBodyJson(points.slice(index + 1).map(canonicalPoint)), 'utf8');
  if (body.length !== header.bodyLength) {
    return {
      kind: 'corrupted',
      reason: `${fast ? `${fast.reason}; ` : ''}re-serialised body is ${body.length} bytes, header says ${header.bodyLength}`,
      claimed,
    };
  }
  const crc = crc32(value.subarray(0, header.fieldsLength), crc32(body));
  if (crc >>> 0 !== header.crc) {
    return {
      kind: 'corrupted',
      reason: `${fast ? `${fast.reason}; ` : ''}re-serialised CRC32 ${crcHex(crc)} differs from header ${crcHex(header.crc)}`,
      claimed,
    };
  }
  return ok(header, true);
}

function ok(header: ParsedHeader, reparsed: boolean): DecodedOk {
  return {
    kind: 'ok',
    publisherId: header.publisherId,
    seq: header.seq,
    sendUs: header.sendUs,
    intendedUs: header.intendedUs,
    bodyBytes: header.bodyLength,
    reparsed,
  };
}

function findPointArray(json: unknown, depth: number): unknown[] | undefined {
  if (Array.isArray(json)) return json as unknown[];
  if (depth >= MAX_WRAP_DEPTH || typeof json !== 'object' || json === null || !('data' in json)) return undefined;
  let data: unknown = json.data;
  if (typeof data === 'string') {
    // Some forwarders embed the original payload as a JSON string.
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return findPointArray(data, depth + 1);
}

function isIdentityPoint(point: unknown): boolean {
  return (
    typeof point === 'object' &&
    point !== null &&
    (point as { name?: unknown }).name === IDENTITY_POINT_NAME &&
    typeof (point as { value?: unknown }).value === 'string'
  );
}

const CANONICAL_KEYS = ['name', 'value', 'time'] as const;

/** Puts a point's keys back in generation order (name, value, time, then the rest). */
function canonicalPoint(point: unknown): unknown {
  if (typeof point !== 'object' || point === null || Array.isArray(point)) return point;
  const source = point as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of CANONICAL_KEYS) if (key in source) ordered[key] = source[key];
  for (const [key, value] of Object.entries(source)) if (!(key in ordered)) ordered[key] = value;
  return ordered;
}
