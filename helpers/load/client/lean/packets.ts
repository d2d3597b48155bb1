/**
 * MQTT 3.1.1 / 5 packet encoding for the lean load client: only the packets a
 * load client sends, written straight into one Buffer each (no packet objects).
 * MQTT 5 packets carry an empty property block; the client sends no properties.
 */
import type { ProtocolVersion } from '../../../model/index.js';
import type { PayloadWriter } from '../types.js';

export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

/** Largest value of a Variable Byte Integer [MQTT-1.5.5]. */
export const MAX_REMAINING_LENGTH = 268_435_455;

export interface ConnectFields {
  protocolVersion: ProtocolVersion;
  clientId: string;
  clean: boolean;
  keepaliveSeconds: number;
  username?: string | undefined;
  password?: string | Buffer | undefined;
}

export function varintLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}

/** Writes `value` as a Variable Byte Integer at `offset`; returns the offset after it. */
export function writeVarint(buffer: Buffer, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  do {
    let digit = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) digit |= 0x80;
    buffer[at++] = digit;
  } while (rest > 0);
  return at;
}

/** A UTF-8 string with its two-byte length prefix [MQTT-1.5.4]. */
export function encodeString(text: string | Buffer, field: string): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.length > 65_535) throw new RangeError(`${field} is ${bytes.length} bytes; MQTT allows at most 65535`);
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function withFixedHeader(firstByte: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + varintLength(body.length) + body.length);
  out[0] = firstByte;
  body.copy(out, writeVarint(out, 1, body.length));
  return out;
}

export function encodeConnect(fields: ConnectFields): Buffer {
  if (!Number.isInteger(fields.keepaliveSeconds) || fields.keepaliveSeconds < 0 || fields.keepaliveSeconds > 65_535) {
    throw new RangeError(
      `keepalive is ${fields.keepaliveSeconds}; allowed: an integer number of seconds from 0 to 65535`,
    );
  }
  let flags = fields.clean ? 0x02 : 0;
  const parts: Buffer[] = [
    encodeString('MQTT', 'protocol name'),
    Buffer.from([fields.protocolVersion, 0, fields.keepaliveSeconds >> 8, fields.keepaliveSeconds & 0xff]),
  ];
  if (fields.protocolVersion === 5) parts.push(Buffer.from([0]));
  parts.push(encodeString(fields.clientId, 'client id'));
  if (fields.username !== undefined) {
    flags |= 0x80;
    parts.push(encodeString(fields.username, 'username'));
  }
  if (fields.password !== undefined) {
    flags |= 0x40;
    parts.push(encodeString(fields.password, 'password'));
  }
  const body = Buffer.concat(parts);
  body[7] = flags;
  return withFixedHeader(PacketType.CONNECT << 4, body);
}

/**
 * The part of a PUBLISH that is the same for every message of one topic and QoS: the first byte,
 * and the topic with its length prefix. `encodePublish` adds the length, packet id and payload.
 */
export interface PublishTemplate {
  readonly firstByte: number;
  readonly topic: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly protocolVersion: ProtocolVersion;
}

export function publishTemplate(
  topic: string,
  qos: 0 | 1 | 2,
  protocolVersion: ProtocolVersion,
  retain = false,
): PublishTemplate {
  return {
    firstByte: (PacketType.PUBLISH << 4) | (qos << 1) | (retain ? 1 : 0),
    topic: encodeString(topic, 'topic'),
    qos,
    protocolVersion,
  };
}

function publishRemainingLength(template: PublishTemplate, payload: PayloadWriter): number {
  const remaining =
    template.topic.length + (template.qos > 0 ? 2 : 0) + (template.protocolVersion === 5 ? 1 : 0) + payload.byteLength;
  if (remaining > MAX_REMAINING_LENGTH)
    throw new RangeError(`PUBLISH of ${payload.byteLength} payload bytes exceeds MQTT's 256 MB packet limit`);
  return remaining;
}

/** Bytes of the whole PUBLISH packet. */
export function publishLength(template: PublishTemplate, payload: PayloadWriter): number {
  const remaining = publishRemainingLength(template, payload);
  return 1 + varintLength(remaining) + remaining;
}

export function encodePublish(template: PublishTemplate, packetId: number, payload: PayloadWriter): Buffer {
  const out = Buffer.allocUnsafe(publishLength(template, payload));
  writePublish(out, template, packetId, payload);
  return out;
}

/** Writes the PUBLISH into `out`, which is exactly `publishLength` bytes long. */
export function writePublish(out: Buffer, template: PublishTemplate, packetId: number, payload: PayloadWriter): void {
  const remaining = publishRemainingLength(template, payload);
  out[0] = template.firstByte;
  let at = writeVarint(out, 1, remaining);
  at += template.topic.copy(out, at);
  if (template.qos > 0) {
    out[at++] = packetId >> 8;
    out[at++] = packetId & 0xff;
  }
  if (template.protocolVersion === 5) out[at++] = 0;
  payload.writeInto(out, at);
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP with reason "success" (a 2-byte body is success in MQTT 5 too). */
export function writeAck(buffer: Buffer, offset: number, type: number, packetId: number): number {
  buffer[offset] = (type << 4) | (type === PacketType.PUBREL ? 0x02 : 0);
  buffer[offset + 1] = 2;
  buffer[offset + 2] = packetId >> 8;
  buffer[offset + 3] = packetId & 0xff;
  return offset + 4;
}

export const ACK_BYTES = 4;

export function encodeAck(type: number, packetId: number): Buffer {
  const out = Buffer.allocUnsafe(ACK_BYTES);
  writeAck(out, 0, type, packetId);
  return out;
}

export function encodeSubscribe(
  protocolVersion: ProtocolVersion,
  packetId: number,
  filter: string,
  qos: 0 | 1 | 2,
): Buffer {
  const parts: Buffer[] = [Buffer.from([packetId >> 8, packetId & 0xff])];
  if (protocolVersion === 5) parts.push(Buffer.from([0]));
  parts.push(encodeString(filter, 'topic filter'), Buffer.from([qos]));
  return withFixedHeader((PacketType.SUBSCRIBE << 4) | 0x02, Buffer.concat(parts));
}

export const PINGREQ = Buffer.from([PacketType.PINGREQ << 4, 0]);
export const DISCONNECT = Buffer.from([PacketType.DISCONNECT << 4, 0]);
