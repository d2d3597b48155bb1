/**
 * The identity point that opens every load message's JSON array:
 *
 *   {"name":"mtb","value":"1:<publisherId>:<seq>:<sendUs>:<intendedUs>:<bodyLen>:<crc32>"}
 *
 * Fixed-width, zero-padded decimal fields (seq 10, sendUs 15, intendedUs 15,
 * bodyLen 8) and 8 lowercase hex digits of CRC32, so a header has the same
 * length for a given publisher id (exact fixed-size payloads) and parses
 * without scanning. The CRC covers the body bytes (everything after this
 * point's closing `},` up to the array's closing `]`) followed by the header
 * fields before the CRC, so identity and content are both protected.
 * All characters are ASCII that JSON never escapes, so a forwarder that
 * re-serialises the JSON leaves the header bytes unchanged.
 */

export const HEADER_VERSION = '1';
export const IDENTITY_POINT_NAME = 'mtb';
/** Bytes that locate the header, wrapped or not. */
export const HEADER_PREFIX = `{"name":"${IDENTITY_POINT_NAME}","value":"`;
export const HEADER_SUFFIX = '"}';

export const SEQ_DIGITS = 10;
export const TIME_DIGITS = 15;
export const BODY_LENGTH_DIGITS = 8;
export const CRC_HEX_DIGITS = 8;
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
export const MAX_BODY_BYTES = 10 ** BODY_LENGTH_DIGITS - 1;
export const MAX_PUBLISHER_ID_LENGTH = 32;
export const PUBLISHER_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

/** Length of the fields after the publisher id: ":<seq>:<send>:<intended>:<len>" */
const FIELDS_AFTER_ID = 1 + SEQ_DIGITS + 1 + TIME_DIGITS + 1 + TIME_DIGITS + 1 + BODY_LENGTH_DIGITS;

/** Bytes of the whole identity point for a publisher id of this length. */
export function identityPointLength(publisherIdLength: number): number {
  return (
    HEADER_PREFIX.length +
    HEADER_VERSION.length +
    1 +
    publisherIdLength +
    FIELDS_AFTER_ID +
    1 +
    CRC_HEX_DIGITS +
    HEADER_SUFFIX.length
  );
}

/** `{"name":"pad","value":""}`: the smallest body a fixed-size payload carries. */
export const EMPTY_PAD_POINT_LENGTH = '{"name":"pad","value":""}'.length;

/** `[` identity `,` pad-point `]` with the longest publisher id. */
export const MIN_FIXED_PAYLOAD_BYTES =
  1 + identityPointLength(MAX_PUBLISHER_ID_LENGTH) + 1 + EMPTY_PAD_POINT_LENGTH + 1;

export interface MessageIdentity {
  publisherId: string;
  seq: number;
  /** Actual send time, µs on the monotonic clock. */
  sendUs: number;
  /** Scheduled send time (equals sendUs when not rate limited). */
  intendedUs: number;
}

export function assertPublisherId(publisherId: string): void {
  if (!PUBLISHER_ID_PATTERN.test(publisherId)) {
    throw new RangeError(
      `publisherId "${publisherId}" is not allowed: use 1 to ${MAX_PUBLISHER_ID_LENGTH} letters, digits, ".", "_" or "-"`,
    );
  }
}

export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(CRC_HEX_DIGITS, '0');
}

export interface ParsedHeader extends MessageIdentity {
  bodyLength: number;
  crc: number;
  /** End (exclusive) of the CRC-protected fields, relative to the value start. */
  fieldsLength: number;
  /** Length of the whole value string. */
  valueLength: number;
}

export type HeaderParse = { ok: true; header: ParsedHeader } | { ok: false; reason: string };

const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

/** Parses the header value that starts at byte `start` of `bytes` (no scanning beyond `end`). */
export function parseHeaderValue(bytes: Buffer, start: number, end: number): HeaderParse {
  let i = start;
  if (bytes[i] !== HEADER_VERSION.charCodeAt(0) || bytes[i + 1] !== COLON) {
    return { ok: false, reason: `unknown header version at byte ${i}` };
  }
  i += 2;
  const idStart = i;
  const idLimit = Math.min(end, idStart + MAX_PUBLISHER_ID_LENGTH + 1);
  while (i < idLimit && bytes[i] !== COLON) i++;
  if (i === idStart || i >= idLimit) return { ok: false, reason: 'header publisher id is missing or too long' };
  const publisherId = publisherIdAt(bytes, idStart, i);
  i++;
  const fieldsEnd = i + SEQ_DIGITS + 1 + TIME_DIGITS + 1 + TIME_DIGITS + 1 + BODY_LENGTH_DIGITS;
  if (fieldsEnd + 1 + CRC_HEX_DIGITS > end) return { ok: false, reason: 'header is truncated' };
  const seq = digits(bytes, i, SEQ_DIGITS);
  i += SEQ_DIGITS;
  const sendUs = bytes[i] === COLON ? digits(bytes, i + 1, TIME_DIGITS) : -1;
  i += 1 + TIME_DIGITS;
  const intendedUs = bytes[i] === COLON ? digits(bytes, i + 1, TIME_DIGITS) : -1;
  i += 1 + TIME_DIGITS;
  const bodyLength = bytes[i] === COLON ? digits(bytes, i + 1, BODY_LENGTH_DIGITS) : -1;
  i += 1 + BODY_LENGTH_DIGITS;
  const crc = bytes[i] === COLON ? hex(bytes, i + 1, CRC_HEX_DIGITS) : -1;
  if (seq < 0 || sendUs < 0 || intendedUs < 0 || bodyLength < 0 || crc < 0) {
    return { ok: false, reason: 'header field is not a fixed-width number' };
  }
  return {
    ok: true,
    header: {
      publisherId,
      seq,
      sendUs,
      intendedUs,
      bodyLength,
      crc,
      fieldsLength: i - start,
      valueLength: i + 1 + CRC_HEX_DIGITS - start,
    },
  };
}

/**
 * A receiver sees the same few publisher ids over and over: the last one decoded is kept with its
 * bytes, and a match returns the same string instead of making a new one per message.
 */
let lastId = '';
const lastIdBytes = new Uint8Array(MAX_PUBLISHER_ID_LENGTH);
let lastIdLength = -1;

function publisherIdAt(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === lastIdLength) {
    let k = 0;
    while (k < length && bytes[start + k] === lastIdBytes[k]) k++;
    if (k === length) return lastId;
  }
  lastId = bytes.toString('latin1', start, end);
  lastIdBytes.set(bytes.subarray(start, end));
  lastIdLength = length;
  return lastId;
}

function digits(bytes: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let k = start; k < start + count; k++) {
    const c = bytes[k] ?? -1;
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function hex(bytes: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let k = start; k < start + count; k++) {
    const c = bytes[k] ?? -1;
    let nibble: number;
    if (c >= ZERO && c <= NINE) nibble = c - ZERO;
    else if (c >= 0x61 && c <= 0x66) nibble = c - 0x61 + 10;
    else return -1;
    value = value * 16 + nibble;
  }
  return value;
}
