/**
 * Message identity and integrity for load and conformance tests.
 * Single-message API: createProbeMessage / decodeMessage.
 */
import { nowUs } from '../clock.js';
import { makeBody } from './body-pool.js';
import { encodeMessage } from './encode.js';
import { assertPublisherId } from './header.js';
import { createRandom } from './prng.js';
import { generateTelemetryPoints, pointsToBodyJson } from './telemetry.js';

export { BodyPool, makeBody, type PayloadBody } from './body-pool.js';
export { decodeMessage, type DecodedMessage, type ExpectedBody } from './decode.js';
export { encodeMessage, MessageEncoder } from './encode.js';
export { wrapEventCall } from './event-call.js';
export { assertPublisherId, MIN_FIXED_PAYLOAD_BYTES, PUBLISHER_ID_PATTERN, type MessageIdentity } from './header.js';

export interface ProbeMessageOptions {
  publisherId: string;
  seq: number;
  /** Telemetry points after the identity point. Default 3. */
  points?: number;
  /** Seed of the point content. Default: seq. */
  seed?: number;
  /** Default: now on the monotonic clock. */
  sendUs?: number;
}

/** One self-describing telemetry message, for conformance suites that check single deliveries. */
export function createProbeMessage(options: ProbeMessageOptions): Buffer {
  assertPublisherId(options.publisherId);
  const random = createRandom(options.seed ?? options.seq);
  const body = makeBody(pointsToBodyJson(generateTelemetryPoints(random, options.points ?? 3)));
  const sendUs = options.sendUs ?? nowUs();
  return encodeMessage({ publisherId: options.publisherId, seq: options.seq, sendUs, intendedUs: sendUs }, body);
}
