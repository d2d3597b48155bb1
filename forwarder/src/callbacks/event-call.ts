// EventCall: wraps a JSON payload for the X2View platform as
// {"data":<payload>,"operationType":"uploadRtd","projectID":"X2View",
//  "requestType":"wrequest","serialNo":0,"webtalkID":"<last topic level>"}
// The payload text is embedded verbatim after a syntax check (no parse and
// re-stringify), so numbers, key order and escapes reach the target unchanged.

import { isUtf8 } from 'node:buffer';
import { JSON_VALID, scanJson, skipJsonWhitespace } from '../json/scan.js';

const PREFIX = Buffer.from('{"data":');
const OPERATION_TYPE = 'uploadRtd';
const PROJECT_ID = 'X2View';
const REQUEST_TYPE = 'wrequest';
const SERIAL_NO = 0;

/** Everything after the payload, for one webtalkID (cache it per topic). */
export function eventCallSuffix(webtalkId: string): Buffer {
  return Buffer.from(
    `,"operationType":${JSON.stringify(OPERATION_TYPE)},"projectID":${JSON.stringify(PROJECT_ID)}` +
      `,"requestType":${JSON.stringify(REQUEST_TYPE)},"serialNo":${SERIAL_NO},"webtalkID":${JSON.stringify(webtalkId)}}`,
  );
}

/** The webtalkID of a source topic: its last level; null when that level is empty. */
export function webtalkIdOf(topic: string): string | null {
  const id = topic.slice(topic.lastIndexOf('/') + 1);
  return id.length > 0 ? id : null;
}

function trimEnd(b: Uint8Array, start: number): number {
  let end = b.length;
  while (end > start) {
    const c = b[end - 1];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    end--;
  }
  return end;
}

/** The wrapped payload, or a string saying why the payload cannot be wrapped. */
export function eventCall(payload: Buffer, suffix: Buffer): Buffer | string {
  if (!isUtf8(payload)) return 'payload is not valid UTF-8';
  // Surrounding whitespace is dropped so the wrapper stays compact JSON.
  const start = skipJsonWhitespace(payload, 0, payload.length);
  const end = trimEnd(payload, start);
  const error = scanJson(payload, start, end);
  if (error !== JSON_VALID) return `payload is not valid JSON (byte ${error})`;
  const length = end - start;
  const out = Buffer.allocUnsafe(PREFIX.length + length + suffix.length);
  PREFIX.copy(out, 0);
  payload.copy(out, PREFIX.length, start, end);
  suffix.copy(out, PREFIX.length + length);
  return out;
}
