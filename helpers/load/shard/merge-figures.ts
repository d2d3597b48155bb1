/**
 * The figures of a sharded run that are not exact counts: the drain, the per-second series, the
 * harness diagnostics (each shard is its own harness, often its own machine), and the summary of
 * the shards themselves (who ran, who was saturated, start, clock skew).
 */
import type { HarnessDiagnostics, PeriodStats } from '../../stats/types.js';
import type { DrainOutcome, DrainReport } from '../drain.js';
import type { LoadResult } from '../types.js';
import type { ShardReport, ShardsSummary } from './types.js';

type Shard = LoadResult & { shard: ShardReport };

/** Worst outcome wins: one shard that stopped waiting means the run's drain did. */
const DRAIN_SEVERITY: readonly DrainOutcome[] = ['complete', 'idle', 'max', 'aborted'];

export function mergeDrain(drains: readonly DrainReport[]): DrainReport {
  const worst = drains.reduce<DrainOutcome>(
    (outcome, d) => (DRAIN_SEVERITY.indexOf(d.outcome) > DRAIN_SEVERITY.indexOf(outcome) ? d.outcome : outcome),
    'complete',
  );
  return {
    outcome: worst,
    waitedMs: Math.max(...drains.map((d) => d.waitedMs)),
    missingAtEnd: drains.reduce((total, d) => total + d.missingAtEnd, 0),
    inflightAtEnd: drains.reduce((total, d) => total + d.inflightAtEnd, 0),
  };
}

/**
 * Period k of every shard added up (the shards started sending together, so their periods line
 * up). Per-period percentiles cannot be added: they are left out (null); the run's percentiles
 * come from the merged histograms.
 */
export function mergePeriods(series: readonly (readonly PeriodStats[])[]): PeriodStats[] {
  const length = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length }, (_, k) => {
    const points = series.map((s) => s[k]).filter((p): p is PeriodStats => p !== undefined);
    const sum = (pick: (p: PeriodStats) => number): number => points.reduce((total, p) => total + pick(p), 0);
    return {
      startMs: Math.min(...points.map((p) => p.startMs)),
      durationMs: Math.max(...points.map((p) => p.durationMs)),
      published: sum((p) => p.published),
      confirmed: sum((p) => p.confirmed),
      received: sum((p) => p.received),
      publishFailed: sum((p) => p.publishFailed),
      publishRate: round1(sum((p) => p.publishRate)),
      confirmRate: round1(sum((p) => p.confirmRate)),
      receiveRate: round1(sum((p) => p.receiveRate)),
      backlog: sum((p) => p.backlog),
      inflight: sum((p) => p.inflight),
      endToEndP50Us: null,
      endToEndP99Us: null,
      publishConfirmP99Us: null,
      eventLoopUtilization: Math.max(...points.map((p) => p.eventLoopUtilization)),
    };
  });
}

/** Each shard's harness diagnosed itself; the run's harness is saturated if any shard's was. */
export function mergeDiagnostics(shards: readonly Shard[], achievedRatePerSecond: number): HarnessDiagnostics {
  const all = shards.map((s) => s.diagnostics);
  const first = all[0] as HarnessDiagnostics;
  const sum = (pick: (d: HarnessDiagnostics) => number): number => all.reduce((total, d) => total + pick(d), 0);
  const max = (pick: (d: HarnessDiagnostics) => number): number => Math.max(...all.map(pick));
  const labelled = (pick: (d: HarnessDiagnostics) => string[]): string[] =>
    shards.flatMap((s) => pick(s.diagnostics).map((line) => `shard ${s.shard.index}: ${line}`));
  const limits = new Set(all.map((d) => d.limitedBy));
  const publishersOf = (s: Shard): number => s.shard.publishers.end - s.shard.publishers.start;
  const withShare = shards.filter((s) => s.diagnostics.backpressureShare !== null && publishersOf(s) > 0);
  const sharePublishers = withShare.reduce((total, s) => total + publishersOf(s), 0);
  return {
    ...first,
    eventLoopLagP99Ms: max((d) => d.eventLoopLagP99Ms),
    eventLoopLagMaxMs: max((d) => d.eventLoopLagMaxMs),
    eventLoopUtilization: max((d) => d.eventLoopUtilization),
    maxInflightReached: max((d) => d.maxInflightReached),
    windowFullCount: sum((d) => d.windowFullCount),
    maxBacklog: max((d) => d.maxBacklog),
    maxSocketBufferedBytes: max((d) => d.maxSocketBufferedBytes),
    packetIdReuses: sum((d) => d.packetIdReuses),
    requestedRatePerSecond: (shards[0] as Shard).workload.ratePerSecond,
    achievedRatePerSecond,
    negativeLatencyCount: sum((d) => d.negativeLatencyCount),
    reconnects: { publishers: sum((d) => d.reconnects.publishers), subscribers: sum((d) => d.reconnects.subscribers) },
    harnessSaturated: all.some((d) => d.harnessSaturated),
    saturationReasons: labelled((d) => d.saturationReasons),
    limitedBy: limits.has('harness')
      ? 'harness'
      : limits.has('system-under-test')
        ? 'system-under-test'
        : first.limitedBy,
    limitEvidence: labelled((d) => d.limitEvidence),
    backpressureShare:
      sharePublishers > 0
        ? round3(
            withShare.reduce((total, s) => total + (s.diagnostics.backpressureShare ?? 0) * publishersOf(s), 0) /
              sharePublishers,
          )
        : null,
    blockedMs: {
      window: sum((d) => d.blockedMs.window),
      socket: sum((d) => d.blockedMs.socket),
      offline: sum((d) => d.blockedMs.offline),
    },
    // Kernel queues are one machine's view; the shards' own results keep theirs.
    socketQueues: null,
    threads: all.flatMap((d) => d.threads),
    workers: { ...first.workers, used: sum((d) => d.workers.used) },
    cpu: {
      userMs: sum((d) => d.cpu.userMs),
      systemMs: sum((d) => d.cpu.systemMs),
      wallMs: max((d) => d.cpu.wallMs),
      shareOfOneCore: round3(sum((d) => d.cpu.shareOfOneCore)),
      cores: sum((d) => d.cpu.cores),
    },
    memory: {
      rssBeforeConnectBytes: max((d) => d.memory.rssBeforeConnectBytes),
      rssMaxBytes: max((d) => d.memory.rssMaxBytes),
      heapUsedMaxBytes: max((d) => d.memory.heapUsedMaxBytes),
    },
  };
}

export function summarizeShards(shards: readonly Shard[]): ShardsSummary {
  const first = shards[0] as Shard;
  const offsets = shards.map((s) => (s.shard.index === 1 ? 0 : (s.shard.sync.clock?.offsetUs ?? null)));
  const known = offsets.filter((o): o is number => o !== null);
  const rtts = shards.flatMap((s) => (s.shard.sync.clock ? [s.shard.sync.clock.rttUs] : []));
  const warnings = shards.flatMap((s) => {
    const starts = new Set(shards.map((o) => o.shard.sync.startUs));
    const message =
      s.shard.sync.errors[0] ??
      (starts.size > 1 && s.shard.sync.startUs !== first.shard.sync.startUs
        ? `started at ${s.shard.sync.startAt}, shard 1 at ${first.shard.sync.startAt}`
        : undefined);
    return message ? [{ shard: s.shard.index, message }] : [];
  });
  return {
    runId: first.shard.runId,
    count: first.shard.count,
    merged: shards.map((s) => s.shard.index),
    saturated: shards.filter((s) => s.diagnostics.harnessSaturated).map((s) => s.shard.index),
    warnings,
    start: {
      startMode: first.shard.sync.startMode,
      startAt: first.shard.sync.startAt,
      maxLateMs: Math.max(...shards.map((s) => s.shard.sync.lateMs)),
    },
    clockSkew: {
      offsetsUs: offsets,
      spreadUs: first.shard.count > 1 && known.length > 1 ? Math.max(...known) - Math.min(...known) : null,
      uncertaintyUs: rtts.length > 0 ? Math.round(Math.max(...rtts) / 2) : null,
    },
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
