/**
 * tinybench 6 micro-benchmarks of the hot paths: the engine's own
 * per-message cost (encode, decode, histogram record, receive accounting), so
 * a regression in the harness shows up as a number, and the publish-to-receive
 * round trip of one message (closed loop: publish, wait for it, repeat) per
 * QoS. Not a load generator: a closed loop hides queueing (coordinated
 * omission); loss, throughput and latency under load come from runLoad.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { Bench, type Statistics, type Task } from 'tinybench';
import { createLatencyHistogram, latencyReport, recordLatencyUs } from '../stats/latency-histogram.js';
import type { LatencyReport } from '../stats/types.js';
import { LiveAccounting } from './accounting/index.js';
import { nowUs } from './clock.js';
import { closeLoadClient, connectLoadClient } from './mqtt-connect.js';
import { BodyPool, decodeMessage, MessageEncoder, wrapEventCall } from './payload/index.js';

/** Calls per engine-task iteration: per-call costs of 50-5,000 ns are far below one timer reading. */
const CALLS_PER_ITERATION = 1_000;
const ONE_KB = { kind: 'fixed', bytes: 1024 } as const;

export interface MicroTaskResult {
  name: string;
  /** Mean / median / p99 cost of one operation, ns (engine tasks: per call, from per-batch means). */
  meanNs: number;
  p50Ns: number;
  p99Ns: number;
  /** Relative margin of error of the mean, %. */
  rmePercent: number;
  opsPerSecond: number;
  samples: number;
  /** Round trips only: every sample in an HDR histogram (µs), mergeable like load results. */
  latency?: LatencyReport;
  /** tinybench timer warnings (zero-dominated, low-distinct, zero-mad): the numbers are not trustworthy. */
  warnings: string[];
}

/** Per-message costs of the engine itself; `timeMs` is tinybench's time budget per task. */
export async function runEngineMicro(timeMs: number): Promise<MicroTaskResult[]> {
  const publisherId = 'micro-0';
  const bodies = new BodyPool(ONE_KB, 1);
  const body = bodies.bodyFor(publisherId, 0, 0);
  const encoder = new MessageEncoder(publisherId);
  const payload = encoder.encode(1, nowUs(), nowUs(), body);
  const wrapped = wrapEventCall(payload, 'micro/up/event/p0');
  const expected = (): typeof body => body;
  const histogram = createLatencyHistogram();
  const accounting = new LiveAccounting(['g']);
  accounting.addPublisher(publisherId);
  const tracker = accounting.trackers[0];
  if (!tracker) throw new Error('runEngineMicro: no tracker');
  let seq = 0;
  let sink = 0;

  const bench = new Bench({
    name: 'engine',
    time: timeMs,
    warmupTime: Math.min(250, timeMs),
    timestampProvider: 'hrtimeNow',
  });
  const batched = (fn: () => void) => () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_ITERATION; i++) fn();
    const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    return { overriddenDuration: elapsedMs / CALLS_PER_ITERATION, overriddenIterationCost: elapsedMs };
  };
  bench
    .add(
      'encode 1 KB message',
      batched(() => (sink += encoder.encode(seq++, 1, 1, body).length)),
    )
    .add(
      'decode 1 KB message (known body)',
      batched(() => (sink += decodeMessage(payload, expected).kind.length)),
    )
    .add(
      'decode 1 KB message (CRC check)',
      batched(() => (sink += decodeMessage(payload).kind.length)),
    )
    .add(
      'decode EventCall-wrapped 1 KB message',
      batched(() => (sink += decodeMessage(wrapped, expected).kind.length)),
    )
    .add(
      'record latency in HDR histogram',
      batched(() => void recordLatencyUs(histogram, (seq++ % 50_000) + 50)),
    )
    .add(
      'account one receipt',
      batched(() => (sink += accounting.receive(tracker, publisherId, seq++))),
    );
  const warnings = collectWarnings(bench);
  await bench.run();
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // keeps the results alive for the JIT
  return bench.tasks.map((task) => toResult(task, warnings.get(task.name) ?? []));
}

export interface RoundTripOptions {
  publishUrl: string;
  subscribeUrl: string;
  topic: string;
  /** Filter the subscriber subscribes to; must match `topic` (it may be the upstream side of a forwarder). */
  filter: string;
  qos: 0 | 1 | 2;
  timeMs: number;
  clientIdPrefix: string;
  /** Extra mqtt.js options for both clients (credentials, CA), as RunLoadOptions.connectOptions. */
  connectOptions?: IClientOptions;
  signal?: AbortSignal;
  /** A round trip not completed within this is an error. Default 5,000 ms. */
  timeoutMs?: number;
}

/**
 * Publish one 1 KB message, wait until the subscriber has it, repeat, for
 * `timeMs`: the latency of a single message through an idle path.
 */
export async function runRoundTrip(options: RoundTripOptions): Promise<MicroTaskResult> {
  const clients: MqttClient[] = [];
  const publisherId = 'rtt-0';
  const encoder = new MessageEncoder(publisherId);
  const body = new BodyPool(ONE_KB, 1).bodyFor(publisherId, 0, 0);
  const waiting = new Map<number, () => void>();
  try {
    const connect = async (url: string, role: string): Promise<MqttClient> => {
      const clientId = `${options.clientIdPrefix}-${role}`;
      const client = await connectLoadClient({
        url,
        clientId,
        protocolVersion: 4,
        ...(options.connectOptions ? { options: options.connectOptions } : {}),
        onError: () => undefined,
        signal: options.signal,
      });
      clients.push(client);
      return client;
    };
    const subscriber = await connect(options.subscribeUrl, 'sub');
    subscriber.on('message', (_topic, payload: Buffer) => {
      const decoded = decodeMessage(payload);
      if (decoded.kind !== 'ok' || decoded.publisherId !== publisherId) return;
      const resolve = waiting.get(decoded.seq);
      waiting.delete(decoded.seq);
      resolve?.();
    });
    await subscriber.subscribeAsync(options.filter, { qos: options.qos });
    const publisher = await connect(options.publishUrl, 'pub');
    let seq = 0;
    const timeoutMs = options.timeoutMs ?? 5_000;
    const roundTrip = async (): Promise<void> => {
      options.signal?.throwIfAborted();
      const mySeq = seq++;
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<void>((resolve, reject) => {
        waiting.set(mySeq, resolve);
        timer = setTimeout(
          () => reject(new Error(`round trip of message ${mySeq} (QoS ${options.qos}) took more than ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      const now = nowUs();
      publisher.publish(options.topic, encoder.encode(mySeq, now, now, body), { qos: options.qos });
      try {
        await arrived;
      } finally {
        clearTimeout(timer);
        waiting.delete(mySeq);
      }
    };
    // Let the subscription settle end to end (a forwarder subscribes upstream by itself).
    await roundTrip();
    const bench = new Bench({
      name: 'round trip',
      time: options.timeMs,
      warmupTime: Math.min(500, options.timeMs),
      timestampProvider: 'hrtimeNow',
      throws: true,
    });
    bench.add(`round trip QoS ${options.qos}`, roundTrip, { async: true, retainSamples: true });
    const warnings = collectWarnings(bench);
    await bench.run();
    const task = bench.tasks[0];
    if (!task) throw new Error('runRoundTrip: no task');
    const result = toResult(task, warnings.get(task.name) ?? []);
    const samples = task.result.state === 'completed' ? task.result.latency.samples : undefined;
    if (samples) {
      const histogram = createLatencyHistogram();
      for (const ms of samples) recordLatencyUs(histogram, ms * 1000);
      result.latency = latencyReport(histogram);
    }
    return result;
  } finally {
    await Promise.all(clients.map((client) => closeLoadClient(client)));
  }
}

function collectWarnings(bench: Bench): Map<string, string[]> {
  const warnings = new Map<string, string[]>();
  bench.addEventListener('warning', (event) => {
    const { task } = event;
    warnings.set(task.name, [...(warnings.get(task.name) ?? []), event.reason ?? 'timer saturation']);
  });
  return warnings;
}

function toResult(task: Task, warnings: string[]): MicroTaskResult {
  const result = task.result;
  if (result.state === 'errored')
    throw new Error(`micro-benchmark "${task.name}" failed: ${result.error.message}`, { cause: result.error });
  if (result.state !== 'completed' && result.state !== 'aborted-with-statistics') {
    throw new Error(`micro-benchmark "${task.name}" did not complete (state ${result.state})`);
  }
  const latency: Statistics = result.latency;
  return {
    name: task.name,
    meanNs: round1(latency.mean * 1e6),
    p50Ns: round1(latency.p50 * 1e6),
    p99Ns: round1(latency.p99 * 1e6),
    rmePercent: round1(latency.rme),
    opsPerSecond: latency.mean > 0 ? Math.round(1000 / latency.mean) : 0,
    samples: latency.samplesCount,
    warnings,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
