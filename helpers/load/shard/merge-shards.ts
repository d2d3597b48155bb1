/**
 * Merges the results of every shard of a run into one LoadResult, exactly: delivery counters are
 * computed again over the union of all shards' ledgers and receipts (a subscriber in shard 1 is
 * checked against the publishers of shard 2), latency histograms are added from their encoded
 * form, rates are counts over the union of the measured windows. A shard that is missing or failed
 * makes the merge fail, naming it: a merged result is never silently smaller than the run.
 */
import { computeCounters, mergeAccounting, sampleLost, type AccountingSnapshot } from '../accounting/index.js';
import { mergeErrors } from '../error-log.js';
import { latencyReport, mergeEncodedHistograms } from '../../stats/latency-histogram.js';
import type { LatencyReport } from '../../stats/types.js';
import type { LatencyReports, LoadResult, ThroughputReport } from '../types.js';
import { mergeDiagnostics, mergeDrain, mergePeriods, summarizeShards } from './merge-figures.js';
import type { ShardInput } from './shard-file.js';
import type { ShardReport } from './types.js';

export class ShardMergeError extends Error {
  override name = 'ShardMergeError';
  /** 1: the run is incomplete (a shard missing or failed); 2: the inputs do not belong together. */
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

type ShardResult = LoadResult & { shard: ShardReport; accounting: AccountingSnapshot };

export function mergeShardResults(inputs: readonly ShardInput[]): LoadResult {
  const shards = checkComplete(inputs);
  const first = shards[0] as ShardResult;
  const accounting = mergeAccounting(shards.map((s) => s.accounting));
  const throughput = throughputOf(shards);
  const merged: LoadResult = {
    schemaVersion: 2,
    workload: first.workload,
    runTag: first.runTag,
    target: {
      ...first.target,
      grantedQos: [...new Set(shards.flatMap((s) => s.target.grantedQos))].sort((a, b) => a - b),
    },
    clock: 'wall-aligned',
    startedAt: shards.map((s) => s.startedAt).sort()[0] as string,
    endedAt: shards
      .map((s) => s.endedAt)
      .sort()
      .at(-1) as string,
    timingsMs: {
      connect: Math.max(...shards.map((s) => s.timingsMs.connect)),
      publish: Math.max(...shards.map((s) => s.timingsMs.publish)),
      drain: Math.max(...shards.map((s) => s.timingsMs.drain)),
      total: Math.max(...shards.map((s) => s.timingsMs.total)),
    },
    plannedMessages: shards.some((s) => s.plannedMessages === null)
      ? null
      : shards.reduce((total, s) => total + (s.plannedMessages ?? 0), 0),
    drain: mergeDrain(shards.map((s) => s.drain)),
    counters: computeCounters(accounting.ledgers, accounting.trackers),
    lostSamples: sampleLost(accounting.ledgers, accounting.trackers),
    corruptedSamples: shards.flatMap((s) => s.corruptedSamples).slice(0, 10),
    latency: latencyOf(shards),
    throughput,
    periods: mergePeriods(shards.map((s) => s.periods)),
    diagnostics: mergeDiagnostics(shards, throughput.confirmedPerSecond),
    errors: mergeErrors(shards.map((s) => s.errors)),
    shards: summarizeShards(shards),
  };
  return merged;
}

/** Every shard 1..N of one run exactly once, each a result (not a failure): else a ShardMergeError naming what is wrong. */
function checkComplete(inputs: readonly ShardInput[]): ShardResult[] {
  const entries = inputs.map(({ file, document }) => {
    if (document.type === 'failure') return { file, ...document.failure.shard, failure: document.failure.error };
    const { result } = document;
    if (!result.shard || !result.accounting)
      throw new ShardMergeError(
        `${file} is the result of a whole run, not of a shard: merge the results of "load --shard K/N" runs.`,
        2,
      );
    return {
      file,
      index: result.shard.index,
      count: result.shard.count,
      runId: result.shard.runId,
      result: result as ShardResult,
    };
  });
  const reference = entries[0];
  if (!reference) throw new ShardMergeError('no shard results to merge.', 2);
  const { runId, count } = reference;
  const workloadOf = (entry: (typeof entries)[number]): string =>
    'result' in entry && entry.result ? JSON.stringify([entry.result.workload, entry.result.runTag]) : '';
  const referenceWorkload = entries.map(workloadOf).find((w) => w !== '');
  const byIndex = new Map<number, (typeof entries)[number]>();
  for (const entry of entries) {
    if (entry.runId !== runId || entry.count !== count)
      throw new ShardMergeError(
        `${entry.file} is shard ${entry.index}/${entry.count} of run "${entry.runId}", ${reference.file} of run "${runId}" with ${count} shards: merge the shards of one run.`,
        2,
      );
    const workload = workloadOf(entry);
    if (workload !== '' && workload !== referenceWorkload)
      throw new ShardMergeError(
        `${entry.file} (shard ${entry.index}/${count}) ran another workload than the other shards: every shard must run the same workload file and options.`,
        2,
      );
    const earlier = byIndex.get(entry.index);
    if (earlier)
      throw new ShardMergeError(
        `${entry.file} and ${earlier.file} are both shard ${entry.index}/${count}: merging a shard twice would count it twice.`,
        2,
      );
    byIndex.set(entry.index, entry);
  }
  const problems: string[] = [];
  for (let index = 1; index <= count; index++) {
    const entry = byIndex.get(index);
    if (!entry)
      problems.push(
        `shard ${index}/${count} missing: no result among the inputs (did it run, and was its result collected?)`,
      );
    else if ('failure' in entry) problems.push(`shard ${index}/${count} failed (${entry.file}): ${entry.failure}`);
  }
  if (problems.length > 0)
    throw new ShardMergeError(
      `run "${runId}" is incomplete (${count - problems.length} of ${count} shard results); a merge would be silently smaller than the run:\n  ${problems.join('\n  ')}`,
      1,
    );
  return [...byIndex.values()]
    .sort((a, b) => a.index - b.index)
    .map((entry) => (entry as { result: ShardResult }).result);
}

function latencyOf(shards: readonly LoadResult[]): LatencyReports {
  const merged = (pick: (s: LoadResult) => LatencyReport | null): LatencyReport | null => {
    const reports = shards.map(pick);
    if (reports.every((r) => r === null)) return null;
    return latencyReport(mergeEncodedHistograms(reports.flatMap((r) => (r ? [r.histogram] : []))));
  };
  return {
    endToEnd: merged((s) => s.latency.endToEnd) as LatencyReport,
    endToEndFromIntended: merged((s) => s.latency.endToEndFromIntended),
    sendDelay: merged((s) => s.latency.sendDelay),
    publishConfirm: merged((s) => s.latency.publishConfirm) as LatencyReport,
  };
}

/** Counts over the union of the windows: first measured send of any shard to the last confirmation / receipt of any. */
function throughputOf(shards: readonly ShardResult[]): ThroughputReport {
  const measured = shards.map((s) => s.shard.measured);
  const starts = measured.map((m) => m.firstSendUs).filter((us): us is number => us !== null);
  const start = starts.length > 0 ? Math.min(...starts) : 0;
  const sum = (pick: (m: (typeof measured)[number]) => number): number => measured.reduce((t, m) => t + pick(m), 0);
  const confirmed = sum((m) => m.confirmed);
  const received = sum((m) => m.received);
  const confirmWindowUs = confirmed > 0 ? Math.max(...measured.map((m) => m.lastConfirmUs)) - start : 0;
  const receiveWindowUs = received > 0 ? Math.max(...measured.map((m) => m.lastReceiveUs)) - start : 0;
  const perSecond = (count: number, windowUs: number): number =>
    windowUs > 0 ? Math.round((count * 1e7) / windowUs) / 10 : 0;
  return {
    confirmed,
    received,
    confirmWindowMs: Math.round(confirmWindowUs / 100) / 10,
    confirmedPerSecond: perSecond(confirmed, confirmWindowUs),
    confirmedBytesPerSecond: perSecond(
      sum((m) => m.confirmedBytes),
      confirmWindowUs,
    ),
    receiveWindowMs: Math.round(receiveWindowUs / 100) / 10,
    receivedPerSecond: perSecond(received, receiveWindowUs),
    receivedBytesPerSecond: perSecond(
      sum((m) => m.receivedBytes),
      receiveWindowUs,
    ),
  };
}
