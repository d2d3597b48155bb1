/**
 * `mqtt-testbench load`: the load engine outside the suites, against any broker URL. A workload
 * comes from a file (fixtures/workloads/*.json shape), from flags, or from both (flags win), and is
 * validated by the same schema as the suites' workloads before anything connects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';
import { runLoad } from '../load/run-load.js';
import type { LoadResult, ShardRunOptions, Workload } from '../load/types.js';
import { parseWorkload, WorkloadError } from '../load/workload.js';
import { count, ms, rate } from '../report/format.js';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args.js';
import type { CliIo } from './cli.js';
import { openShard, SHARD_HELP, shardCliFrom, shardSummaryLine, writeShardOutput, writeWhole } from './load-shard.js';

export const LOAD_HELP = `  mqtt-testbench load [WORKLOAD.json] --url URL [options] [--json] [--out FILE]
      Run one workload against any broker and print a summary (--json: as JSON; --out: the full
      result to FILE). Options override the workload file: --publishers N --subscribers N
      --qos 0|1|2 --messages N (per publisher) | --duration MS, --size BYTES, --rate MSG_PER_S
      (0 = as fast as confirmations allow), --inflight N, --warmup N (per publisher),
      --workers N|auto, --protocol 4|5, --client auto|lean|mqtt.js (default auto: the engine's
      lean client unless an option needs mqtt.js), --topic PREFIX (default mtb/load/<random>),
      --subscribe-url URL (another broker, e.g. the upstream side of a forwarder), --ca FILE.
      Credentials go in the URL: mqtts://user:password@host:8883 (never printed).
${SHARD_HELP}`;

/** Flags that set a workload field, with how to read their value. */
const WORKLOAD_FLAGS = {
  publishers: { field: 'publishers', kind: 'int' },
  subscribers: { field: 'subscribers', kind: 'int' },
  qos: { field: 'qos', kind: 'int' },
  messages: { field: 'messages', kind: 'int' },
  duration: { field: 'durationMs', kind: 'int' },
  rate: { field: 'ratePerSecond', kind: 'number' },
  inflight: { field: 'inflight', kind: 'int' },
  warmup: { field: 'warmupMessages', kind: 'int' },
  protocol: { field: 'protocolVersion', kind: 'int' },
  workers: { field: 'workers', kind: 'workers' },
  client: { field: 'client', kind: 'string' },
} as const;

export interface LoadSummary {
  workload: string;
  qos: number;
  publishers: number;
  subscribers: number;
  payloadBytes: string;
  /** Confirmed publishes per second (QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP): what other tools report. */
  sentRate: number;
  /** Unique messages received per second, summed over subscribers. */
  receivedRate: number;
  sent: number;
  received: number;
  expected: number;
  lost: number;
  duplicates: number;
  reordered: number;
  corrupted: number;
  unconfirmed: number;
  latencyUs: { p50: number; p90: number; p99: number; p99_9: number; max: number };
  /** Latency from the intended send time (rate-limited runs only). */
  latencyFromIntendedUs: { p50: number; p90: number; p99: number; p99_9: number; max: number } | null;
  drain: string;
  limitedBy: string;
  harnessSaturated: boolean;
  rssMaxMB: number;
  /** The MQTT client implementation the engine used ("lean" or "mqtt.js"). */
  client: string;
  errors: string[];
}

export async function load(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv,
    {
      url: { value: true },
      'subscribe-url': { value: true },
      topic: { value: true },
      size: { value: true },
      ca: { value: true },
      json: {},
      out: { value: true },
      shard: { value: true },
      'run-id': { value: true },
      'start-at': { value: true },
      'barrier-timeout': { value: true },
      'log-result': {},
      ...Object.fromEntries(Object.keys(WORKLOAD_FLAGS).map((name) => [name, { value: true }])),
    },
    { maxPositionals: 1 },
  );
  const url = stringFlag(args, 'url');
  if (!url) throw new UsageError('--url is required: the broker to publish to, e.g. --url mqtt://127.0.0.1:1883.');
  const subscribeUrl = stringFlag(args, 'subscribe-url') ?? url;
  const workload = workloadFrom(args, io.cwd);
  const shardCli = shardCliFrom(
    {
      shard: stringFlag(args, 'shard'),
      runId: stringFlag(args, 'run-id'),
      startAt: stringFlag(args, 'start-at'),
      barrierTimeout: stringFlag(args, 'barrier-timeout'),
      logResult: args.flags.has('log-result'),
    },
    workload,
  );
  const prefix =
    stringFlag(args, 'topic') ?? shardCli?.topicPrefix ?? `mtb/load/${Math.random().toString(36).slice(2, 8)}`;
  if (/[#+]/.test(prefix) || prefix.endsWith('/') || prefix.length === 0)
    throw new UsageError(`--topic ${prefix}: a topic prefix without "#", "+" or a trailing "/", e.g. mtb/load.`);
  const connectOptions = connectOptionsFrom(args, io.cwd);

  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted (SIGINT/SIGTERM): clients closed, nothing measured'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const out = stringFlag(args, 'out');
  let result: LoadResult;
  let shard: ShardRunOptions | undefined;
  try {
    if (shardCli)
      shard = await openShard(
        shardCli,
        {
          url,
          topicPrefix: prefix,
          ...(connectOptions ? { connectOptions } : {}),
          signal: abort.signal,
        },
        io.err,
      );
    result = await runLoad({
      publishUrl: url,
      subscribeUrl,
      workload,
      topicFor: (i) => `${prefix}/p${i}`,
      subscribeFilter: `${prefix}/#`,
      clientIdPrefix: shardCli?.clientIdPrefix ?? `mtb-load-${Math.random().toString(36).slice(2, 8)}`,
      ...(connectOptions ? { connectOptions } : {}),
      progressLabel: `${workload.name} QoS ${workload.qos}`,
      signal: abort.signal,
      ...(shard ? { shard } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`mqtt-testbench load: ${message}`);
    if (shardCli) writeShardOutput(shardCli, { error: message }, out && resolve(io.cwd, out), io.out);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await shard?.sync.close();
  }

  if (shardCli) writeShardOutput(shardCli, { result }, out && resolve(io.cwd, out), io.out);
  else if (out) writeWhole(resolve(io.cwd, out), `${JSON.stringify(result, null, 2)}\n`);
  const summary = summarize(result);
  io.out(args.flags.has('json') ? JSON.stringify(summary, null, 2) : formatSummary(summary, result));
  return 0;
}

function workloadFrom(args: ParsedArgs, cwd: string): Workload {
  const file = args.positionals[0];
  let base: Record<string, unknown> = {
    name: 'cli',
    publishers: 1,
    subscribers: 1,
    qos: 0,
    payload: { kind: 'fixed', bytes: 1024 },
    messages: 10_000,
    inflight: 1000,
  };
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read the workload file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = parseJsonWithPosition(text, file);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
      throw error;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UsageError(`${file}: a workload is a JSON object (see fixtures/workloads/).`);
    base = parsed as Record<string, unknown>;
  }
  const input: Record<string, unknown> = { ...base };
  for (const [flag, { field, kind }] of Object.entries(WORKLOAD_FLAGS)) {
    const text = stringFlag(args, flag);
    if (text === undefined) continue;
    if (kind === 'workers' && text === 'auto') input[field] = 'auto';
    else if (kind === 'string') input[field] = text;
    else {
      const value = Number(text);
      if (!Number.isFinite(value) || (kind !== 'number' && !Number.isInteger(value))) {
        throw new UsageError(
          `--${flag} ${text} is not ${kind === 'number' ? 'a number' : kind === 'workers' ? 'an integer or "auto"' : 'an integer'}.`,
        );
      }
      input[field] = value;
    }
    // messages and durationMs exclude each other: a flag for one replaces the file's other.
    if (field === 'messages') delete input['durationMs'];
    if (field === 'durationMs') delete input['messages'];
  }
  const size = stringFlag(args, 'size');
  if (size !== undefined) {
    if (!/^\d+$/.test(size)) throw new UsageError(`--size ${size} is not a number of bytes.`);
    input['payload'] = { kind: 'fixed', bytes: Number(size) };
  }
  try {
    return parseWorkload(
      input,
      file ? `workload ${file} with the command-line options` : 'workload from the command-line options',
    );
  } catch (error) {
    if (error instanceof WorkloadError) {
      throw new UsageError(
        `${error.message.replace(/\.$/, '')}\n  (options set fields: --size → payload.bytes, --messages → messages, --duration → durationMs, --rate → ratePerSecond, --warmup → warmupMessages, --protocol → protocolVersion)`,
      );
    }
    throw error;
  }
}

function connectOptionsFrom(args: ParsedArgs, cwd: string): IClientOptions | undefined {
  const ca = stringFlag(args, 'ca');
  if (!ca) return undefined;
  try {
    return { ca: readFileSync(resolve(cwd, ca)) };
  } catch (error) {
    throw new UsageError(
      `--ca ${ca}: cannot read the CA certificate (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
}

export function summarize(result: LoadResult): LoadSummary {
  const c = result.counters;
  const pick = (l: { p50: number; p90: number; p99: number; p99_9: number; max: number }) => ({
    p50: l.p50,
    p90: l.p90,
    p99: l.p99,
    p99_9: l.p99_9,
    max: l.max,
  });
  const payload = result.workload.payload;
  return {
    workload: result.workload.name,
    qos: result.workload.qos,
    publishers: result.workload.publishers,
    subscribers: result.workload.subscribers,
    payloadBytes:
      payload.kind === 'fixed' ? String(payload.bytes) : `telemetry ${payload.minPoints}-${payload.maxPoints} points`,
    sentRate: Math.round(result.throughput.confirmedPerSecond),
    receivedRate: Math.round(result.throughput.receivedPerSecond),
    sent: c.sent,
    received: c.received,
    expected: c.expected,
    lost: c.lost,
    duplicates: c.duplicates,
    reordered: c.reordered,
    corrupted: c.corrupted,
    unconfirmed: c.unconfirmed,
    latencyUs: pick(result.latency.endToEnd),
    latencyFromIntendedUs: result.latency.endToEndFromIntended ? pick(result.latency.endToEndFromIntended) : null,
    drain: result.drain.outcome,
    limitedBy: result.diagnostics.limitedBy,
    harnessSaturated: result.diagnostics.harnessSaturated,
    rssMaxMB: Math.round(result.diagnostics.memory.rssMaxBytes / 1e5) / 10,
    client: result.diagnostics.client.used,
    errors: result.errors.map((e) => `${e.source} ${e.clientId}: ${e.message} (x${e.count})`),
  };
}

export function formatSummary(s: LoadSummary, result: LoadResult): string {
  const l = s.latencyUs;
  const lines = [
    `${s.workload}: ${s.publishers} publisher(s) → ${s.subscribers} subscriber(s), QoS ${s.qos}, payload ${s.payloadBytes} bytes, ${result.target.publishUrl}${result.target.subscribeUrl !== result.target.publishUrl ? ` → ${result.target.subscribeUrl}` : ''}`,
    `  sent      ${count(s.sent)} confirmed · ${rate(s.sentRate)} msg/s${s.unconfirmed ? ` · ${count(s.unconfirmed)} unconfirmed` : ''}`,
  ];
  if (s.subscribers === 0)
    lines.push('  received  (publish only: no subscribers, so no delivery or end-to-end latency is measured)');
  else {
    lines.push(
      `  received  ${count(s.received)}/${count(s.expected)} unique · ${rate(s.receivedRate)} msg/s · lost ${count(s.lost)} · duplicates ${count(s.duplicates)} · reordered ${count(s.reordered)} · corrupted ${count(s.corrupted)}`,
      `  latency   p50 ${ms(l.p50)} ms · p90 ${ms(l.p90)} ms · p99 ${ms(l.p99)} ms · p99.9 ${ms(l.p99_9)} ms · max ${ms(l.max)} ms`,
    );
  }
  if (s.latencyFromIntendedUs) {
    const i = s.latencyFromIntendedUs;
    lines.push(
      `  latency from the intended send time  p50 ${ms(i.p50)} ms · p99 ${ms(i.p99)} ms · max ${ms(i.max)} ms`,
    );
  }
  lines.push(
    `  drain ${s.drain} · pace set by ${s.limitedBy}${s.harnessSaturated ? ' (harness saturated: the figures understate the broker)' : ''} · harness RSS max ${s.rssMaxMB} MB · client ${s.client}`,
  );
  const shardLine = shardSummaryLine(result);
  if (shardLine) lines.push(shardLine);
  for (const error of s.errors) lines.push(`  error: ${error}`);
  return lines.join('\n');
}
