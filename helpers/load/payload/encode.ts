import type { PayloadBody } from './body-pool.js';
import { crc32Range } from './crc32-range.js';
import {
  BODY_LENGTH_DIGITS,
  CRC_HEX_DIGITS,
  HEADER_PREFIX,
  HEADER_VERSION,
  SEQ_DIGITS,
  TIME_DIGITS,
  type MessageIdentity,
} from './header.js';

const COLON = 0x3a;
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const ZERO = 0x30;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** ":<seq>:<send>:<intended>:<len>" after the publisher id. */
const NUMERIC_FIELDS_LENGTH = SEQ_DIGITS + 1 + TIME_DIGITS + 1 + TIME_DIGITS + 1 + BODY_LENGTH_DIGITS;

/**
 * Builds `[<identity point>,<body>]` for one publisher on the hot path: the
 * constant part of the header is pre-encoded, numbers are written as digits
 * straight into the output buffer and the body is copied from the
 * pre-generated pool with its CRC already known, so per message only the
 * ~60 header bytes are hashed.
 */
export class MessageEncoder {
  /** `[{"name":"mtb","value":"1:<publisherId>:` */
  private readonly head: Buffer;
  /** Offset of "1:<publisherId>:" in head: where the CRC-protected fields start. */
  private readonly fieldsStart: number;

  constructor(readonly publisherId: string) {
    this.head = Buffer.from(`[${HEADER_PREFIX}${HEADER_VERSION}:${publisherId}:`, 'latin1');
    this.fieldsStart = 1 + HEADER_PREFIX.length;
  }

  private seq = 0;
  private sendUs = 0;
  private intendedUs = 0;
  private body: PayloadBody | undefined;

  /**
   * Sets the next message's fields and returns this encoder as the payload to publish: the client
   * writes it straight into its packet buffer (`writeInto`), so a message is built once, with no
   * intermediate Buffer. Valid until the next `prepare`.
   */
  prepare(seq: number, sendUs: number, intendedUs: number, body: PayloadBody): this {
    this.seq = seq;
    this.sendUs = sendUs;
    this.intendedUs = intendedUs;
    this.body = body;
    return this;
  }

  get byteLength(): number {
    const bodyLength = this.body?.bytes.length ?? 0;
    return (
      this.head.length + NUMERIC_FIELDS_LENGTH + 1 + CRC_HEX_DIGITS + 2 + (bodyLength > 0 ? 1 : 0) + bodyLength + 1
    );
  }

  /** Writes the prepared message at `offset` of `out` (which has `byteLength` bytes free there). */
  writeInto(out: Buffer, offset: number): void {
    const body = this.body;
    if (!body) throw new Error('MessageEncoder: writeInto before prepare');
    const bodyLength = body.bytes.length;
    const head = this.head;
    head.copy(out, offset);
    let i = offset + head.length;
    writeDigits(out, i, this.seq, SEQ_DIGITS);
    i += SEQ_DIGITS;
    out[i++] = COLON;
    writeDigits(out, i, this.sendUs, TIME_DIGITS);
    i += TIME_DIGITS;
    out[i++] = COLON;
    writeDigits(out, i, this.intendedUs, TIME_DIGITS);
    i += TIME_DIGITS;
    out[i++] = COLON;
    writeDigits(out, i, bodyLength, BODY_LENGTH_DIGITS);
    i += BODY_LENGTH_DIGITS;
    const crc = crc32Range(out, offset + this.fieldsStart, i, body.crc);
    out[i++] = COLON;
    for (let shift = 28; shift >= 0; shift -= 4) out[i++] = HEX[(crc >>> shift) & 0xf] ?? ZERO;
    out[i++] = QUOTE;
    out[i++] = CLOSE_BRACE;
    if (bodyLength > 0) out[i++] = COMMA;
    i += body.bytes.copy(out, i);
    out[i] = CLOSE_BRACKET;
  }

  /** One message as its own Buffer (probes, tests, micro-benchmarks). */
  encode(seq: number, sendUs: number, intendedUs: number, body: PayloadBody): Buffer {
    this.prepare(seq, sendUs, intendedUs, body);
    const out = Buffer.allocUnsafe(this.byteLength);
    this.writeInto(out, 0);
    return out;
  }
}

/** Convenience form for single messages (tests, probes); the load path keeps one MessageEncoder per publisher. */
export function encodeMessage(identity: MessageIdentity, body: PayloadBody): Buffer {
  return new MessageEncoder(identity.publisherId).encode(identity.seq, identity.sendUs, identity.intendedUs, body);
}

/** Zero-padded decimal, right-aligned in `width` bytes (values beyond the width keep their low digits). */
function writeDigits(out: Buffer, at: number, value: number, width: number): void {
  let rest = value;
  for (let i = at + width - 1; i >= at; i--) {
    const next = Math.floor(rest / 10);
    out[i] = ZERO + (rest - next * 10);
    rest = next;
  }
}
