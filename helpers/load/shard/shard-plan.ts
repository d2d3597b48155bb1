/**
 * Which share of a workload shard K of N runs. Publishers and subscribers are split apart into
 * contiguous ranges of their global indices, so every shard's client ids (`<prefix>-pub-<i>`,
 * `<prefix>-sub-<i>`), publisher ids (`<runTag>-<i>`, each with its own sequence space) and
 * receiver groups (`<prefix>-sub-<i>`) differ from every other shard's, while the run tag, the
 * topics and the shared-subscription group are the same in all of them.
 */
import { createHash } from 'node:crypto';
import type { Workload } from '../workload.js';

/** One shard of a run: index 1..count. */
export interface ShardId {
  index: number;
  count: number;
}

/** Global indices [start, end). */
export interface IndexRange {
  start: number;
  end: number;
}

export interface ShardPlan extends ShardId {
  runId: string;
  /** Publisher ids are `<runTag>-<global index>` in every shard. */
  runTag: string;
  publishers: IndexRange;
  subscribers: IndexRange;
  /** Receiver groups this shard holds: one per subscriber ("all"), the one share group ("shared"), or none. */
  groupCount: number;
}

export const MAX_SHARDS = 1_000;
/** A run id names the run in every shard (and its topics); letters, digits, ".", "_", "-". */
export const RUN_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

export class ShardSpecError extends RangeError {
  override name = 'ShardSpecError';
}

/** Reads "K/N" (e.g. "2/4"): K from 1 to N, N from 1 to MAX_SHARDS. */
export function parseShardId(text: string): ShardId {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) throw new ShardSpecError(`--shard ${text}: write K/N, shard K of N (e.g. --shard 1/4 ... --shard 4/4).`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS)
    throw new ShardSpecError(`--shard ${text}: N (${count}) must be from 1 to ${MAX_SHARDS}.`);
  if (index < 1 || index > count)
    throw new ShardSpecError(
      `--shard ${text}: K (${index}) must be from 1 to N (${count}); shards are numbered 1/${count} ... ${count}/${count}.`,
    );
  return { index, count };
}

/** The even, contiguous share of `total` items that shard `index` of `count` gets (the first ones get one more). */
export function shareOf(total: number, { index, count }: ShardId): IndexRange {
  const base = Math.floor(total / count);
  const extra = total % count;
  const start = (index - 1) * base + Math.min(index - 1, extra);
  return { start, end: start + base + (index <= extra ? 1 : 0) };
}

/** Same run id, same tag in every shard; short enough for publisher ids of ≤ 32 characters. */
export function runTagFor(runId: string): string {
  return `s${createHash('sha256').update(runId).digest('hex').slice(0, 11)}`;
}

/** Validates the shard against the workload (every shard must get at least one client) and plans its share. */
export function planShard(workload: Workload, shard: ShardId & { runId: string }): ShardPlan {
  const { index, count, runId } = shard;
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 1 || index > count)
    throw new ShardSpecError(`shard ${index}/${count}: K must be from 1 to N, N ≥ 1.`);
  if (!RUN_ID_PATTERN.test(runId))
    throw new ShardSpecError(
      `run id ${JSON.stringify(runId)}: 1 to 100 letters, digits, ".", "_" or "-", the same in every shard.`,
    );
  const most = Math.max(workload.publishers, workload.subscribers);
  if (count > most)
    throw new ShardSpecError(
      `${count} shards for ${workload.publishers} publisher(s) and ${workload.subscribers} subscriber(s): a shard without a client measures nothing; use at most ${most} shards.`,
    );
  const publishers = shareOf(workload.publishers, shard);
  const subscribers = shareOf(workload.subscribers, shard);
  const subscriberCount = subscribers.end - subscribers.start;
  return {
    index,
    count,
    runId,
    runTag: runTagFor(runId),
    publishers,
    subscribers,
    groupCount: workload.subscriptionMode === 'all' ? subscriberCount : subscriberCount > 0 ? 1 : 0,
  };
}

export function shardLabel({ index, count }: ShardId): string {
  return `${index}/${count}`;
}
