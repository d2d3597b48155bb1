import type { ProtocolVersion } from '../../../model/index.js';
/**
 * Reading the packets a load client receives: CONNACK (with the MQTT 5
 * properties that bind a client), SUBACK, PUBLISH and the acknowledgements.
 * Offsets point into the reader's chunk; nothing is copied.
 */

/** MQTT 5 CONNACK properties a client must obey [MQTT-3.2.2.3]. */
export interface ConnackInfo {
  sessionPresent: boolean;
  /** 3.1.1 return code or MQTT 5 reason code; 0 = accepted. */
  code: number;
  /** Receive Maximum: QoS 1/2 publishes the broker accepts unacknowledged; 65535 when absent. */
  receiveMaximum: number;
  /** Maximum QoS the broker supports; 2 when absent. */
  maximumQos: number;
  /** Server Keep Alive, which replaces the client's value when present. */
  serverKeepAlive: number | undefined;
  /** Maximum Packet Size the broker accepts; undefined = no limit. */
  maximumPacketSize: number | undefined;
  reasonString: string | undefined;
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export function readVarint(data: Buffer, offset: number, end: number): { value: number; next: number } {
  let value = 0;
  let multiplier = 1;
  let at = offset;
  for (let k = 0; k < 4; k++) {
    if (at >= end) throw new ProtocolError('truncated Variable Byte Integer');
    const digit = data[at++] as number;
    value += (digit & 0x7f) * multiplier;
    if ((digit & 0x80) === 0) return { value, next: at };
    multiplier *= 128;
  }
  throw new ProtocolError('malformed Variable Byte Integer');
}

/** Byte size of each MQTT 5 property value by identifier [MQTT-2.2.2.2]; 'str' / 'bin' are length-prefixed, 'pair' two strings. */
const PROPERTY_KIND: Record<number, 1 | 2 | 4 | 'varint' | 'str' | 'bin' | 'pair'> = {
  0x01: 1,
  0x02: 4,
  0x03: 'str',
  0x08: 'str',
  0x09: 'bin',
  0x0b: 'varint',
  0x11: 4,
  0x12: 'str',
  0x13: 2,
  0x15: 'str',
  0x16: 'bin',
  0x17: 1,
  0x18: 4,
  0x19: 1,
  0x1a: 'str',
  0x1c: 'str',
  0x1f: 'str',
  0x21: 2,
  0x22: 2,
  0x23: 2,
  0x24: 1,
  0x25: 1,
  0x26: 'pair',
  0x27: 4,
  0x28: 1,
  0x29: 1,
  0x2a: 1,
};

/** Calls `visit(id, valueStart)` for every property in [start, end); returns nothing, throws on a malformed block. */
export function forEachProperty(
  data: Buffer,
  start: number,
  end: number,
  visit: (id: number, at: number) => void,
): void {
  let at = start;
  while (at < end) {
    const { value: id, next } = readVarint(data, at, end);
    const kind = PROPERTY_KIND[id];
    if (kind === undefined) throw new ProtocolError(`unknown MQTT 5 property 0x${id.toString(16)}`);
    visit(id, next);
    if (typeof kind === 'number') at = next + kind;
    else if (kind === 'varint') at = readVarint(data, next, end).next;
    else if (kind === 'pair') at = skipString(data, skipString(data, next, end), end);
    else at = skipString(data, next, end);
    if (at > end) throw new ProtocolError(`property 0x${id.toString(16)} runs past the end of its packet`);
  }
}

function skipString(data: Buffer, at: number, end: number): number {
  if (at + 2 > end) throw new ProtocolError('truncated length-prefixed property');
  return at + 2 + data.readUInt16BE(at);
}

/** Skips a property block (MQTT 5) and returns where the rest of the packet starts. */
export function skipProperties(data: Buffer, at: number, end: number): number {
  const { value, next } = readVarint(data, at, end);
  if (next + value > end) throw new ProtocolError('property length runs past the end of its packet');
  return next + value;
}

export function readConnack(version: ProtocolVersion, data: Buffer, start: number, length: number): ConnackInfo {
  const end = start + length;
  if (length < 2) throw new ProtocolError(`CONNACK of ${length} bytes`);
  const info: ConnackInfo = {
    sessionPresent: ((data[start] as number) & 1) === 1,
    code: data[start + 1] as number,
    receiveMaximum: 65_535,
    maximumQos: 2,
    serverKeepAlive: undefined,
    maximumPacketSize: undefined,
    reasonString: undefined,
  };
  if (version === 5 && length > 2) {
    const { value, next } = readVarint(data, start + 2, end);
    forEachProperty(data, next, Math.min(end, next + value), (id, at) => {
      if (id === 0x21) info.receiveMaximum = data.readUInt16BE(at);
      else if (id === 0x24) info.maximumQos = data[at] as number;
      else if (id === 0x13) info.serverKeepAlive = data.readUInt16BE(at);
      else if (id === 0x27) info.maximumPacketSize = data.readUInt32BE(at);
      else if (id === 0x1f) info.reasonString = data.toString('utf8', at + 2, at + 2 + data.readUInt16BE(at));
    });
  }
  return info;
}

/** SUBACK: the packet id and the first return / reason code. */
export function readSuback(
  version: ProtocolVersion,
  data: Buffer,
  start: number,
  length: number,
): { packetId: number; code: number } {
  const end = start + length;
  if (length < 3) throw new ProtocolError(`SUBACK of ${length} bytes`);
  const packetId = data.readUInt16BE(start);
  const codesAt = version === 5 ? skipProperties(data, start + 2, end) : start + 2;
  if (codesAt >= end) throw new ProtocolError('SUBACK without a return code');
  return { packetId, code: data[codesAt] as number };
}

/** Reason code of PUBACK / PUBREC / PUBREL / PUBCOMP: 0 when the packet has only the id (always so in 3.1.1). */
export function ackReasonCode(data: Buffer, start: number, length: number): number {
  return length > 2 ? (data[start + 2] as number) : 0;
}

/** Human text for the CONNACK codes users meet, phrased as mqtt.js does (the harness classifies refusals by it). */
export function connackMessage(version: ProtocolVersion, code: number): string {
  const text = (version === 5 ? CONNACK_V5 : CONNACK_V4)[code] ?? `code ${code}`;
  return `Connection refused: ${text}`;
}

const CONNACK_V4: Record<number, string> = {
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
};

const CONNACK_V5: Record<number, string> = {
  0x80: 'Unspecified error',
  0x81: 'Malformed Packet',
  0x82: 'Protocol Error',
  0x83: 'Implementation specific error',
  0x84: 'Unsupported Protocol Version',
  0x85: 'Client Identifier not valid',
  0x86: 'Bad User Name or Password',
  0x87: 'Not authorized',
  0x88: 'Server unavailable',
  0x89: 'Server busy',
  0x8a: 'Banned',
  0x8c: 'Bad authentication method',
  0x90: 'Topic Name invalid',
  0x95: 'Packet too large',
  0x97: 'Quota exceeded',
  0x99: 'Payload format invalid',
  0x9a: 'Retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'Use another server',
  0x9d: 'Server moved',
  0x9f: 'Connection rate exceeded',
};
