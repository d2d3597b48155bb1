import type { EventLoopReport } from '../stats/harness-monitor.js';
import { assessSaturation } from '../stats/saturation.js';
import type { HarnessDiagnostics, PeriodStats } from '../stats/types.js';
import { computeCounters, sampleLost, snapshotAccounting } from './accounting/index.js';
import type { DrainReport } from './drain.js';
import type { RunStats } from './run-stats.js';
import type { LatencyReports, LoadResult, ThroughputReport } from './types.js';
import type { Workload } from './workload.js';

export interface ResultInputs {
  workload: Workload;
  runTag: string;
  target: LoadResult['target'];
  startedAt: Date;
  endedAt: Date;
  timingsMs: LoadResult['timingsMs'];
  plannedMessages: number | null;
  drain: DrainReport;
  stats: RunStats;
  periods: PeriodStats[];
  eventLoop: EventLoopReport;
  includeAccounting: boolean;
}

/** Freezes the live state of a run into the one plain result object. */
export function buildLoadResult(inputs: ResultInputs): LoadResult {
  const { stats, workload } = inputs;
  const { ledgers, trackers } = stats.accounting;
  const latency: LatencyReports = {
    endToEnd: stats.endToEnd.report(),
    endToEndFromIntended: stats.endToEndFromIntended?.report() ?? null,
    sendDelay: stats.sendDelay?.report() ?? null,
    publishConfirm: stats.publishConfirm.report(),
  };
  const throughput = throughputOf(stats);
  const diagnosticsBase = {
    eventLoopLagP99Ms: inputs.eventLoop.lagP99Ms,
    eventLoopLagMaxMs: inputs.eventLoop.lagMaxMs,
    eventLoopUtilization: inputs.eventLoop.utilization,
    inflightLimit: workload.inflight,
    maxInflightReached: stats.maxInflight,
    windowFullCount: stats.windowFullCount,
    maxBacklog: inputs.periods.reduce((max, period) => Math.max(max, period.backlog), 0),
    maxSocketBufferedBytes: stats.maxSocketBufferedBytes,
    requestedRatePerSecond: workload.ratePerSecond,
    achievedRatePerSecond: throughput.confirmedPerSecond,
    negativeLatencyCount: stats.negativeLatencyCount,
    reconnects: { publishers: stats.publisherReconnects, subscribers: stats.subscriberReconnects },
  };
  const saturationReasons = assessSaturation({
    eventLoopUtilization: diagnosticsBase.eventLoopUtilization,
    eventLoopLagP99Ms: diagnosticsBase.eventLoopLagP99Ms,
    requestedRatePerSecond: workload.ratePerSecond,
    achievedRatePerSecond: throughput.confirmedPerSecond,
    sendDelayP99Us: latency.sendDelay && latency.sendDelay.count > 0 ? latency.sendDelay.p99 : null,
    windowFullCount: stats.windowFullCount,
  });
  const diagnostics: HarnessDiagnostics = {
    ...diagnosticsBase,
    harnessSaturated: saturationReasons.length > 0,
    saturationReasons,
  };
  const result: LoadResult = {
    schemaVersion: 1,
    workload,
    runTag: inputs.runTag,
    target: inputs.target,
    clock: 'monotonic-local',
    startedAt: inputs.startedAt.toISOString(),
    endedAt: inputs.endedAt.toISOString(),
    timingsMs: inputs.timingsMs,
    plannedMessages: inputs.plannedMessages,
    drain: inputs.drain,
    counters: computeCounters(ledgers, trackers),
    lostSamples: sampleLost(ledgers, trackers),
    corruptedSamples: [...stats.corruptedSamples],
    latency,
    throughput,
    periods: inputs.periods,
    diagnostics,
    errors: stats.errors.list(),
  };
  if (inputs.includeAccounting) result.accounting = snapshotAccounting({ ledgers, trackers });
  return result;
}

function throughputOf(stats: RunStats): ThroughputReport {
  const start = stats.firstMeasuredSendUs;
  const confirmWindowUs = stats.measuredConfirmed > 0 ? stats.lastMeasuredConfirmUs - start : 0;
  const receiveWindowUs = stats.measuredReceived > 0 ? stats.lastMeasuredReceiveUs - start : 0;
  return {
    confirmWindowMs: round1(confirmWindowUs / 1000),
    confirmedPerSecond: perSecond(stats.measuredConfirmed, confirmWindowUs),
    confirmedBytesPerSecond: perSecond(stats.measuredConfirmedBytes, confirmWindowUs),
    receiveWindowMs: round1(receiveWindowUs / 1000),
    receivedPerSecond: perSecond(stats.measuredReceived, receiveWindowUs),
    receivedBytesPerSecond: perSecond(stats.measuredReceivedBytes, receiveWindowUs),
  };
}

function perSecond(count: number, windowUs: number): number {
  return windowUs > 0 ? round1((count * 1e6) / windowUs) : 0;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
