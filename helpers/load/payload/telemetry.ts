import { randomInt, type Random } from './prng.js';

/** One point of the seed's telemetry format. Key order is part of the format (see canonicalPoint). */
export interface TelemetryPoint {
  name: string;
  value: string;
  time: string;
}

/** Base wall time of generated points; content, not a clock. */
const BASE_TIME_MS = Date.UTC(2026, 10, 22, 10, 0, 0);

/**
 * `{"name":"RTU.COM3.T9-07-22.AI01","value":"4821","time":"2026-11-22 10:00:00"}`:
 * an RTU tag with exactly three dots (what the forwarder's tag parser expects),
 * a 0–9999 reading and a timestamp a few seconds apart.
 */
export function generateTelemetryPoints(random: Random, count: number): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  const startMs = BASE_TIME_MS + randomInt(random, 0, 86_400) * 1000;
  for (let i = 0; i < count; i++) {
    const port = randomInt(random, 1, 8);
    const unit = `T${randomInt(random, 1, 9)}-${two(randomInt(random, 1, 12))}-${two(randomInt(random, 1, 28))}`;
    const channel = `${randomInt(random, 0, 1) === 0 ? 'AI' : 'DI'}${two(randomInt(random, 1, 64))}`;
    points.push({
      name: `RTU.COM${port}.${unit}.${channel}`,
      value: String(randomInt(random, 0, 9999)),
      time: formatTime(startMs + i * 1000),
    });
  }
  return points;
}

/** The array elements without brackets, compact JSON: the bytes a body is made of. */
export function pointsToBodyJson(points: readonly unknown[]): string {
  return points.length === 0 ? '' : JSON.stringify(points).slice(1, -1);
}

const PAD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `{"name":"pad","value":"<chars>"}` sized so the point is exactly `bytes` long. */
export function generatePadPoint(random: Random, bytes: number): { name: string; value: string } {
  const valueLength = bytes - '{"name":"pad","value":""}'.length;
  if (valueLength < 0) throw new RangeError(`pad point needs at least 25 bytes, got ${bytes}`);
  let value = '';
  for (let i = 0; i < valueLength; i++) value += PAD_ALPHABET[Math.floor(random() * PAD_ALPHABET.length)];
  return { name: 'pad', value };
}

function formatTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

function two(value: number): string {
  return String(value).padStart(2, '0');
}
