/**
 * The shard options of `mqtt-testbench load` (--shard K/N, --run-id, --start-at, --barrier-timeout,
 * --log-result): validated once here, before anything connects (exit 2 on bad input); the shard
 * logic itself is in helpers/load/shard.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { DEFAULT_BARRIER_TIMEOUT_MS, ShardCoordinator } from '../load/shard/coordinator.js';
import { encodeForLog, shardFailure } from '../load/shard/shard-file.js';
import {
  parseShardId,
  planShard,
  RUN_ID_PATTERN,
  runTagFor,
  ShardSpecError,
  type ShardId,
} from '../load/shard/shard-plan.js';
import type { LoadResult, ShardRunOptions, Workload } from '../load/types.js';
import { UsageError } from './args.js';

export const SHARD_HELP = `      Sharded runs (several processes or machines, merged with "merge --mode workers"):
      --shard K/N runs shard K's share of the clients (every shard runs the same workload and
      options); --run-id ID (required for N > 1, the same in every shard) names the run;
      shards wait for each other on a barrier topic beside the load topics, then start together,
      --start-at ISO|EPOCH_MS pins that start; --barrier-timeout MS (default ${DEFAULT_BARRIER_TIMEOUT_MS});
      --log-result also prints the result (gzip+base64 between marker lines) for kubectl logs.`;

export interface ShardFlags {
  shard?: string;
  runId?: string;
  startAt?: string;
  barrierTimeout?: string;
  logResult: boolean;
}

export interface ShardCli {
  id: ShardId;
  runId: string;
  /** Common to every shard: topics, client ids and the share group derive from the run. */
  topicPrefix: string;
  clientIdPrefix: string;
  startAtMs?: number;
  barrierTimeoutMs: number;
  logResult: boolean;
}

const MIN_BARRIER_TIMEOUT_MS = 1_000;

/** Undefined without --shard; a UsageError naming the option for anything wrong. */
export function shardCliFrom(flags: ShardFlags, workload: Workload): ShardCli | undefined {
  if (flags.shard === undefined) {
    const stray = (['runId', 'startAt', 'barrierTimeout'] as const).find((key) => flags[key] !== undefined);
    if (stray || flags.logResult)
      throw new UsageError(
        `--${stray ? stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) : 'log-result'} is for sharded runs: add --shard K/N.`,
      );
    return undefined;
  }
  let id: ShardId;
  try {
    id = parseShardId(flags.shard);
  } catch (error) {
    if (error instanceof ShardSpecError) throw new UsageError(error.message);
    throw error;
  }
  if (flags.runId === undefined && id.count > 1)
    throw new UsageError(
      `--shard ${flags.shard} needs --run-id ID, the same in all ${id.count} shards (e.g. the Kubernetes Job's uid), so that they find each other.`,
    );
  const runId = flags.runId ?? `single-${Date.now().toString(36)}`;
  if (!RUN_ID_PATTERN.test(runId))
    throw new UsageError(`--run-id ${runId}: 1 to 100 letters, digits, ".", "_" or "-".`);
  try {
    planShard(workload, { ...id, runId });
  } catch (error) {
    if (error instanceof ShardSpecError) throw new UsageError(error.message);
    throw error;
  }
  const tag = runTagFor(runId);
  const cli: ShardCli = {
    id,
    runId,
    topicPrefix: `mtb/load/${tag}`,
    clientIdPrefix: `mtb-${tag}`,
    barrierTimeoutMs: barrierTimeoutOf(flags.barrierTimeout),
    logResult: flags.logResult,
  };
  if (flags.startAt !== undefined) cli.startAtMs = startAtOf(flags.startAt);
  return cli;
}

function startAtOf(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--start-at ${text}: an ISO time with a zone (e.g. 2026-05-04T10:00:00Z) or milliseconds since 1970 (e.g. ${Date.now() + 60_000}).`,
    );
  return ms;
}

function barrierTimeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BARRIER_TIMEOUT_MS;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < MIN_BARRIER_TIMEOUT_MS)
    throw new UsageError(`--barrier-timeout ${text}: milliseconds, at least ${MIN_BARRIER_TIMEOUT_MS}.`);
  return value;
}

/** Opens the shard's coordination (control channel for N > 1) and returns runLoad's `shard` option. */
export async function openShard(
  cli: ShardCli,
  target: { url: string; topicPrefix: string; connectOptions?: IClientOptions; signal: AbortSignal },
  log: (line: string) => void,
): Promise<ShardRunOptions> {
  const sync = await ShardCoordinator.open({
    shard: cli.id,
    url: target.url,
    ...(target.connectOptions ? { connectOptions: target.connectOptions } : {}),
    // Beside the load topics, not under them: load subscribers never receive control messages.
    controlRoot: `${target.topicPrefix}.shards`,
    clientId: `${cli.clientIdPrefix}-ctl-${cli.id.index}`,
    ...(cli.startAtMs !== undefined ? { startAtMs: cli.startAtMs } : {}),
    barrierTimeoutMs: cli.barrierTimeoutMs,
    signal: target.signal,
    onStartKnown: (startAt, inMs) =>
      log(
        `mqtt-testbench load: shard ${cli.id.index}/${cli.id.count} of run ${cli.runId}: ${cli.id.count > 1 ? `all ${cli.id.count} shards ready, ` : ''}sending starts at ${startAt} (in ${inMs} ms)`,
      ),
  });
  return { ...cli.id, runId: cli.runId, sync };
}

/** Writes the shard's result, or why it has none, to --out (whole files only) and, with --log-result, to the log. */
export function writeShardOutput(
  cli: ShardCli,
  outcome: { result: LoadResult } | { error: string },
  out: string | undefined,
  print: (text: string) => void,
): void {
  const document = 'result' in outcome ? outcome.result : shardFailure({ ...cli.id, runId: cli.runId }, outcome.error);
  if (out) writeWhole(out, `${JSON.stringify(document, null, 2)}\n`);
  if (cli.logResult) print(encodeForLog(document, cli.id));
}

/** A reader never sees half a file: a shard killed while writing leaves no result, not a broken one. */
export function writeWhole(path: string, text: string): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, text);
  renameSync(partial, path);
}

export function shardSummaryLine(result: LoadResult): string | undefined {
  const shard = result.shard;
  if (!shard) return undefined;
  const { sync } = shard;
  const clock = sync.clock
    ? ` · clock ${signedMs(sync.clock.offsetUs)} ms vs shard 1 (±${ms(sync.clock.rttUs / 2)} ms)`
    : '';
  return `  shard     ${shard.index}/${shard.count} of run ${shard.runId}: publishers ${shard.publishers.start}-${shard.publishers.end - 1}, subscribers ${shard.subscribers.end > shard.subscribers.start ? `${shard.subscribers.start}-${shard.subscribers.end - 1}` : 'none'} · start ${sync.startAt} (${sync.startMode}, waited ${sync.waitedMs} ms)${clock} · counters above: this shard's publishers only`;
}

function ms(us: number): string {
  return (us / 1000).toFixed(2);
}

function signedMs(us: number): string {
  return `${us >= 0 ? '+' : ''}${ms(us)}`;
}
