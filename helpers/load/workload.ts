import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MIN_FIXED_PAYLOAD_BYTES } from './payload/header.js';

/** mqtt.js #1372: the publish callback never fires once all 65,535 packet ids are in flight. */
const MAX_INFLIGHT = 65_535;
const MAX_CLIENTS = 10_000;
const MAX_TELEMETRY_POINTS = 2_000;
const MAX_FIXED_PAYLOAD_BYTES = 16 * 1024 * 1024;

const MAX_WORKERS = 64;
const WORKERS_ALLOWED = `an integer from 1 to ${MAX_WORKERS}, or "auto"`;

const DEFAULT_INFLIGHT = 1_000;
const DEFAULT_CONNECT_CONCURRENCY = 64;
const DEFAULT_DRAIN_IDLE_MS = 3_000;
const DEFAULT_DRAIN_MAX_MS = 60_000;
const DEFAULT_ACK_TIMEOUT_MS = 5_000;

function intRange(min: number, max: number): z.ZodNumber {
  return z
    .number({ error: `an integer from ${min} to ${max}` })
    .int({ error: `an integer from ${min} to ${max}` })
    .min(min, { error: `an integer from ${min} to ${max}` })
    .max(max, { error: `an integer from ${min} to ${max}` });
}

const qosSchema = z.literal([0, 1, 2], { error: '0, 1 or 2' });

const telemetryPayloadSchema = z
  .strictObject({
    kind: z.literal('telemetry'),
    /** Points per message besides the identity point (each point ≈ 70 bytes). Default 10. */
    minPoints: intRange(1, MAX_TELEMETRY_POINTS).default(10),
    /** Default 200. */
    maxPoints: intRange(1, MAX_TELEMETRY_POINTS).default(200),
  })
  .refine((p) => p.minPoints <= p.maxPoints, {
    error: 'minPoints must be ≤ maxPoints',
    path: ['minPoints'],
  });

const fixedPayloadSchema = z.strictObject({
  kind: z.literal('fixed'),
  /** Exact payload size in bytes, identity header included. */
  bytes: intRange(MIN_FIXED_PAYLOAD_BYTES, MAX_FIXED_PAYLOAD_BYTES),
});

const payloadSchema = z.discriminatedUnion('kind', [telemetryPayloadSchema, fixedPayloadSchema], {
  error: '{"kind":"telemetry","minPoints":10,"maxPoints":200} or {"kind":"fixed","bytes":1024}',
});

export const workloadSchema = z
  .strictObject({
    name: z
      .string({ error: 'a name of letters, digits, ".", "_" or "-" (1 to 100 characters)' })
      .regex(/^[A-Za-z0-9._-]{1,100}$/, {
        error: 'a name of letters, digits, ".", "_" or "-" (1 to 100 characters)',
      }),
    /** Publishing clients. */
    publishers: intRange(1, MAX_CLIENTS),
    /**
     * Subscribing clients. 0 = publish only, as mqtt-bench and its peers measure: nothing is
     * received, so loss and end-to-end latency are not measured, only the confirmed publish rate.
     */
    subscribers: intRange(0, MAX_CLIENTS),
    /**
     * "all": every subscriber receives every publisher's messages (fan-in / fan-out);
     * "shared": subscribers share one MQTT shared subscription ($share/<group>/<filter>),
     * so each message reaches one of them. Default "all".
     */
    subscriptionMode: z.enum(['all', 'shared'], { error: '"all" or "shared"' }).default('all'),
    qos: qosSchema,
    /** QoS requested in SUBSCRIBE; defaults to `qos`. */
    subscribeQos: qosSchema.optional(),
    payload: payloadSchema,
    /** Measured messages per publisher (after warm-up). Exactly one of messages / durationMs. */
    messages: intRange(1, 1_000_000_000).optional(),
    /** Publishing time including warm-up. Exactly one of messages / durationMs. */
    durationMs: intRange(100, 24 * 3_600_000).optional(),
    /** Total rate across all publishers, messages per second; 0 = as fast as confirmations allow. */
    ratePerSecond: z
      .number({ error: 'a number of messages per second ≥ 0 (0 = unlimited)' })
      .min(0, { error: 'a number of messages per second ≥ 0 (0 = unlimited)' })
      .max(10_000_000, { error: 'at most 10000000 messages per second' })
      .default(0),
    /** Max unconfirmed publishes per publisher (QoS 1/2 unacknowledged, QoS 0 unwritten). */
    inflight: intRange(1, MAX_INFLIGHT).default(DEFAULT_INFLIGHT),
    /** Messages per publisher sent before measuring; counted for loss but not for latency/throughput. */
    warmupMessages: intRange(0, 1_000_000).default(0),
    protocolVersion: z.literal([4, 5], { error: '4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(4),
    /**
     * Threads that run the clients. 1: everything in the calling thread. N > 1: publishers and
     * subscribers in separate worker threads (up to N, never both roles in one thread), results
     * merged exactly; needs the worker bundle (npm run build). "auto": half the CPU cores, at
     * least 1, so the other half stays with the broker and forwarder under test. Default 1.
     */
    workers: z
      .union(
        [
          z
            .number({ error: WORKERS_ALLOWED })
            .int({ error: WORKERS_ALLOWED })
            .min(1, { error: WORKERS_ALLOWED })
            .max(MAX_WORKERS, { error: WORKERS_ALLOWED }),
          z.literal('auto'),
        ],
        { error: WORKERS_ALLOWED },
      )
      .default(1),
    /** Connection ramp-up: new connections per second over all clients; 0 = as fast as connectConcurrency allows. Default 0. */
    connectRatePerSecond: z
      .number({ error: 'a number of connections per second ≥ 0 (0 = no ramp-up)' })
      .min(0, { error: 'a number of connections per second ≥ 0 (0 = no ramp-up)' })
      .max(1_000_000, { error: 'at most 1000000 connections per second' })
      .default(0),
    /** CONNECTs waiting for their CONNACK at once (per worker). Default 64. */
    connectConcurrency: intRange(1, MAX_CLIENTS).default(DEFAULT_CONNECT_CONCURRENCY),
    /**
     * Rate-limited runs: how the send loop waits between due messages. "timer" (default): sleeps
     * on ~1 ms timers and sends everything due in one batch (send delay 0-2 ms, measured; the
     * loop stays idle between batches). "immediate": polls with setImmediate for sub-millisecond
     * send delay, pinning one core at ≥ 1,000 msg/s.
     */
    sendSchedule: z.enum(['timer', 'immediate'], { error: '"timer" or "immediate"' }).default('timer'),
    /** Drain ends when nothing was confirmed or received for this long. */
    drainIdleMs: intRange(10, 3_600_000).default(DEFAULT_DRAIN_IDLE_MS),
    /** Absolute cap of the drain; also the stall limit while publishing. */
    drainMaxMs: intRange(10, 24 * 3_600_000).default(DEFAULT_DRAIN_MAX_MS),
    /**
     * QoS 1/2: a connected publisher whose outstanding publishes get no PUBACK/PUBCOMP for this
     * long ends the scenario: the broker stopped acknowledging, and what it never acknowledged
     * (and never delivered) is lost. Default 5,000 ms.
     */
    ackTimeoutMs: intRange(100, 3_600_000).default(DEFAULT_ACK_TIMEOUT_MS),
    /**
     * MQTT client implementation of every connection. "lean": the engine's own raw-socket client
     * (TCP or TLS, credentials, clean/persistent session; no reconnects, no MQTT 5 properties),
     * several times cheaper per message than mqtt.js. "mqtt.js": every mqtt.js option, automatic
     * reconnects. "auto" (default): lean unless the connect options need mqtt.js; the result
     * says which was used and why.
     */
    client: z.enum(['auto', 'lean', 'mqtt.js'], { error: '"auto", "lean" or "mqtt.js"' }).default('auto'),
    /** Seed of the payload generator: same seed, same payload bytes. */
    seed: intRange(0, 2 ** 31 - 1).default(1),
  })
  .superRefine((w, ctx) => {
    if ((w.messages === undefined) === (w.durationMs === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['messages'],
        message: 'exactly one of "messages" (per publisher) or "durationMs"',
        input: { messages: w.messages, durationMs: w.durationMs },
      });
    }
    if (w.subscribers === 0 && w.subscriptionMode === 'shared') {
      ctx.addIssue({
        code: 'custom',
        path: ['subscribers'],
        message: 'at least 1 subscriber with subscriptionMode "shared"',
        input: w.subscribers,
      });
    }
    if (w.drainMaxMs < w.drainIdleMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['drainMaxMs'],
        message: `a value ≥ drainIdleMs (${w.drainIdleMs})`,
        input: w.drainMaxMs,
      });
    }
  })
  .transform((w) => ({ ...w, subscribeQos: w.subscribeQos ?? w.qos }));

/** A workload as written in fixtures/workloads/*.json (defaults optional). */
export type WorkloadInput = z.input<typeof workloadSchema>;
/** A validated workload with every default filled in. */
export type Workload = z.output<typeof workloadSchema>;
export type PayloadSpec = Workload['payload'];
export type Qos = Workload['qos'];

export class WorkloadError extends Error {
  override name = 'WorkloadError';
}

/** Validates once at the edge; the error names each bad field, its value and what is allowed. */
export function parseWorkload(input: unknown, source = 'workload'): Workload {
  const parsed = workloadSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  const name = nameOf(input);
  const lines = parsed.error.issues.map((issue) => describeIssue(issue));
  throw new WorkloadError(`${source}${name ? ` "${name}"` : ''} is invalid:\n  ${lines.join('\n  ')}`);
}

export async function loadWorkloadFile(path: string): Promise<Workload> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WorkloadError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseWorkload(json, path);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(workload)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const got = 'input' in issue ? show(issue.input) : 'nothing';
  return `${field}: got ${got}; allowed: ${issue.message}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function nameOf(input: unknown): string | undefined {
  if (typeof input === 'object' && input !== null && 'name' in input) {
    const { name } = input;
    if (typeof name === 'string') return name;
  }
  return undefined;
}
