import type { HarnessDiagnostics, LatencyReport, PeriodStats, SocketQueueReport } from '../stats/types.js';
import { latencyReport, mergeEncodedHistograms } from '../stats/latency-histogram.js';
import { diagnoseLimit } from '../stats/saturation.js';
import { computeCounters, sampleLost, snapshotAccounting, type AccountingState } from './accounting/index.js';
import type { DrainReport } from './drain.js';
import { mergeErrors, type LoadError } from './error-log.js';
import type { LatencyReports, LoadResult, ThroughputReport } from './types.js';
import type { WorkerReport } from './worker/types.js';
import type { Workload } from './workload.js';

export interface ResultInputs {
  workload: Workload;
  runTag: string;
  target: LoadResult['target'];
  startedAt: Date;
  endedAt: Date;
  timingsMs: LoadResult['timingsMs'];
  drain: DrainReport;
  /** The merged (or only) worker's exact accounting. */
  accounting: AccountingState;
  reports: WorkerReport[];
  /** Errors the orchestrator itself recorded (stall watchdog, onPeriod callback). */
  runErrors: LoadError[];
  periods: PeriodStats[];
  socketQueues: SocketQueueReport | null;
  cpu: HarnessDiagnostics['cpu'];
  memory: HarnessDiagnostics['memory'];
  workers: HarnessDiagnostics['workers'];
  client: HarnessDiagnostics['client'];
  includeAccounting: boolean;
  /** The rate this run was asked for, when it runs a share of the workload (a shard); default the workload's. */
  requestedRatePerSecond?: number;
}

/** Merges what the workers measured into the one plain result object: counters from the exact accounting, histograms added, never averaged. */
export function buildLoadResult(inputs: ResultInputs): LoadResult {
  const { workload, reports } = inputs;
  const { ledgers, trackers } = inputs.accounting;
  const merged = (pick: (r: WorkerReport) => string | null): LatencyReport =>
    latencyReport(mergeEncodedHistograms(reports.map(pick).filter((h): h is string => h !== null)));
  const rateLimited = workload.ratePerSecond > 0;
  const requestedRatePerSecond = inputs.requestedRatePerSecond ?? workload.ratePerSecond;
  const latency: LatencyReports = {
    endToEnd: merged((r) => r.histograms.endToEnd),
    endToEndFromIntended: rateLimited ? merged((r) => r.histograms.endToEndFromIntended) : null,
    sendDelay: rateLimited ? merged((r) => r.histograms.sendDelay) : null,
    publishConfirm: merged((r) => r.histograms.publishConfirm),
  };
  const throughput = throughputOf(reports);
  const sum = (pick: (r: WorkerReport) => number): number => reports.reduce((total, r) => total + pick(r), 0);
  const max = (pick: (r: WorkerReport) => number): number => reports.reduce((top, r) => Math.max(top, pick(r)), 0);
  const publisherUs = sum((r) => r.publisherUs);
  const backpressureUs = sum((r) => r.blockedUs.window + r.blockedUs.socket);
  const backpressureShare = publisherUs > 0 ? round3(Math.min(1, backpressureUs / publisherUs)) : null;
  const eventLoopUtilization = max((r) => r.eventLoop.utilization);
  const eventLoopLagP99Ms = max((r) => r.eventLoop.lagP99Ms);
  const windowFullCount = sum((r) => r.windowFullCount);
  const diagnosis = diagnoseLimit({
    requestedRatePerSecond,
    sentRatePerSecond: sentRateOf(reports),
    achievedRatePerSecond: throughput.confirmedPerSecond,
    receivedPerGroupPerSecond: trackers.length > 0 ? throughput.receivedPerSecond / trackers.length : null,
    sendDelayP99Us: latency.sendDelay && latency.sendDelay.count > 0 ? latency.sendDelay.p99 : null,
    latencyP99Us: (latency.endToEndFromIntended ?? latency.endToEnd).p99,
    windowFullCount,
    backpressureShare,
    eventLoopUtilization,
    eventLoopLagP99Ms,
    queues: inputs.socketQueues
      ? {
          harnessMeanBytes: inputs.socketQueues.harnessRxMeanBytes,
          peerMeanBytes: inputs.socketQueues.peerSockets > 0 ? inputs.socketQueues.peerRxMeanBytes : null,
        }
      : null,
    cpuCores: { used: inputs.cpu.shareOfOneCore, threads: reports.length },
  });
  const diagnostics: HarnessDiagnostics = {
    eventLoopLagP99Ms,
    eventLoopLagMaxMs: max((r) => r.eventLoop.lagMaxMs),
    eventLoopUtilization,
    inflightLimit: workload.inflight,
    maxInflightReached: max((r) => r.maxInflight),
    windowFullCount,
    maxBacklog: inputs.periods.reduce((top, period) => Math.max(top, period.backlog), 0),
    maxSocketBufferedBytes: max((r) => r.maxSocketBufferedBytes),
    packetIdReuses: sum((r) => r.packetIdReuses),
    requestedRatePerSecond,
    achievedRatePerSecond: throughput.confirmedPerSecond,
    negativeLatencyCount: sum((r) => r.negativeLatencyCount),
    reconnects: { publishers: sum((r) => r.reconnects.publishers), subscribers: sum((r) => r.reconnects.subscribers) },
    harnessSaturated: diagnosis.harnessSaturated,
    saturationReasons: diagnosis.saturationReasons,
    limitedBy: diagnosis.limitedBy,
    limitEvidence: diagnosis.evidence,
    backpressureShare,
    blockedMs: {
      window: Math.round(sum((r) => r.blockedUs.window) / 1000),
      socket: Math.round(sum((r) => r.blockedUs.socket) / 1000),
      offline: Math.round(sum((r) => r.blockedUs.offline) / 1000),
    },
    socketQueues: inputs.socketQueues,
    threads: reports.map((r) => ({
      role: r.role,
      publishers: r.publishers,
      subscribers: r.subscribers,
      eventLoopUtilization: r.eventLoop.utilization,
      eventLoopLagP99Ms: r.eventLoop.lagP99Ms,
      eventLoopLagMaxMs: r.eventLoop.lagMaxMs,
    })),
    workers: inputs.workers,
    client: inputs.client,
    sendSchedule: workload.sendSchedule,
    cpu: inputs.cpu,
    memory: inputs.memory,
  };
  const planned = reports.map((r) => r.plannedMessages);
  const result: LoadResult = {
    schemaVersion: 2,
    workload,
    runTag: inputs.runTag,
    target: { ...inputs.target, grantedQos: [...new Set(reports.flatMap((r) => r.grantedQos))].sort((a, b) => a - b) },
    clock: 'monotonic-local',
    startedAt: inputs.startedAt.toISOString(),
    endedAt: inputs.endedAt.toISOString(),
    timingsMs: inputs.timingsMs,
    plannedMessages: planned.some((p) => p === null) ? null : planned.reduce<number>((total, p) => total + (p ?? 0), 0),
    drain: inputs.drain,
    counters: computeCounters(ledgers, trackers),
    lostSamples: sampleLost(ledgers, trackers),
    corruptedSamples: reports.flatMap((r) => r.corruptedSamples).slice(0, 10),
    latency,
    throughput,
    periods: inputs.periods,
    diagnostics,
    errors: mergeErrors([inputs.runErrors, ...reports.map((r) => r.errors)]),
  };
  if (inputs.includeAccounting) result.accounting = snapshotAccounting(inputs.accounting);
  return result;
}

function throughputOf(reports: readonly WorkerReport[]): ThroughputReport {
  const starts = reports.map((r) => r.measured.firstSendUs).filter((us): us is number => us !== null);
  const start = starts.length > 0 ? Math.min(...starts) : 0;
  let confirmed = 0;
  let confirmedBytes = 0;
  let received = 0;
  let receivedBytes = 0;
  let lastConfirmUs = 0;
  let lastReceiveUs = 0;
  for (const { measured } of reports) {
    confirmed += measured.confirmed;
    confirmedBytes += measured.confirmedBytes;
    received += measured.received;
    receivedBytes += measured.receivedBytes;
    lastConfirmUs = Math.max(lastConfirmUs, measured.lastConfirmUs);
    lastReceiveUs = Math.max(lastReceiveUs, measured.lastReceiveUs);
  }
  const confirmWindowUs = confirmed > 0 ? lastConfirmUs - start : 0;
  const receiveWindowUs = received > 0 ? lastReceiveUs - start : 0;
  return {
    confirmed,
    received,
    confirmWindowMs: round1(confirmWindowUs / 1000),
    confirmedPerSecond: perSecond(confirmed, confirmWindowUs),
    confirmedBytesPerSecond: perSecond(confirmedBytes, confirmWindowUs),
    receiveWindowMs: round1(receiveWindowUs / 1000),
    receivedPerSecond: perSecond(received, receiveWindowUs),
    receivedBytesPerSecond: perSecond(receivedBytes, receiveWindowUs),
  };
}

/**
 * Measured publishes per second from the first to the last one handed to a client: the schedule
 * the sender kept, without the broker's confirmation latency that stretches the confirmed rate's
 * window. null without at least two measured sends.
 */
function sentRateOf(reports: readonly WorkerReport[]): number | null {
  const starts = reports.map((r) => r.measured.firstSendUs).filter((us): us is number => us !== null);
  const sent = reports.reduce((total, r) => total + r.measured.sent, 0);
  if (starts.length === 0 || sent < 2) return null;
  const windowUs = Math.max(...reports.map((r) => r.measured.lastSendUs)) - Math.min(...starts);
  // n sends on schedule span n - 1 intervals.
  return perSecond(sent - 1, windowUs);
}

function perSecond(count: number, windowUs: number): number {
  return windowUs > 0 ? round1((count * 1e6) / windowUs) : 0;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
