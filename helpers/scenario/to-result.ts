import type { ResultSubject, SuiteName } from '../model/index.js';
import type { GateFigures } from '../gates/evaluate.js';
import { toMessageCounters } from '../load/accounting/index.js';
import type { LatencyReport, LoadResult } from '../load/types.js';
import type { LatencySummaryUs, TestbenchResult } from '../report/testbench-result.js';

/** A load run as the report's result model (counters, latency with histograms, periods, diagnostics). */
export function loadToResult(
  load: LoadResult,
  suite: SuiteName,
  scenario: string,
  subject: ResultSubject,
): TestbenchResult {
  const c = load.counters;
  return {
    suite,
    scenario,
    subject,
    protocolVersion: load.workload.protocolVersion,
    qos: load.workload.qos,
    counters: toMessageCounters(c),
    latency: latency(load.latency.endToEnd),
    ...(load.latency.endToEndFromIntended ? { latencyFromIntended: latency(load.latency.endToEndFromIntended) } : {}),
    ...(load.latency.sendDelay ? { sendDelay: latency(load.latency.sendDelay) } : {}),
    throughput: {
      publishPerSec: round(load.throughput.confirmedPerSecond),
      receivePerSec: round(load.throughput.receivedPerSecond),
      durationMs: load.throughput.receiveWindowMs,
    },
    periods: load.periods.map((p) => ({
      t: p.startMs / 1000,
      publishPerSec: round(p.confirmRate),
      receivePerSec: round(p.receiveRate),
      backlog: p.backlog,
      ...(p.endToEndP50Us !== null ? { p50Us: p.endToEndP50Us } : {}),
      ...(p.endToEndP99Us !== null ? { p99Us: p.endToEndP99Us } : {}),
    })),
    observations: {
      workload: load.workload.name,
      publishers: load.workload.publishers,
      subscribers: load.workload.subscribers,
      payload:
        load.workload.payload.kind === 'fixed'
          ? `${load.workload.payload.bytes} B`
          : `telemetry ${load.workload.payload.minPoints}-${load.workload.payload.maxPoints} points`,
      requestedRatePerSec: load.workload.ratePerSecond,
      drain: load.drain.outcome,
      drainWaitedMs: load.drain.waitedMs,
      foreign: c.foreign,
      unexpected: c.unexpected,
      reparsed: c.reparsed,
      publishConfirmP99Us: load.latency.publishConfirm.p99,
      // Who set the pace (requested-rate | system-under-test | harness) and the harness's own cost.
      limitedBy: load.diagnostics.limitedBy,
      backpressureShare: load.diagnostics.backpressureShare,
      harnessThreads: load.diagnostics.workers.used,
      harnessClient: load.diagnostics.client.used,
      harnessCpuCores: load.diagnostics.cpu.shareOfOneCore,
      harnessRssMaxBytes: load.diagnostics.memory.rssMaxBytes,
      connectMs: load.timingsMs.connect,
    },
    diagnostics: {
      harnessSaturated: load.diagnostics.harnessSaturated,
      // Only a harness-limited run is untrustworthy; otherwise the evidence says who set the pace.
      reasons: load.diagnostics.harnessSaturated ? load.diagnostics.saturationReasons : load.diagnostics.limitEvidence,
      eventLoopLagP99Ms: load.diagnostics.eventLoopLagP99Ms,
      eventLoopLagMaxMs: load.diagnostics.eventLoopLagMaxMs,
    },
    notes: [
      ...load.errors.slice(0, 10).map((e) => `${e.source}: ${e.message}`),
      ...(load.diagnostics.packetIdReuses > 0
        ? [
            `The broker sent ${load.diagnostics.packetIdReuses} new QoS 2 PUBLISH(es) under a packet id still awaiting its PUBREL (a protocol violation; the messages were delivered and counted by their identity).`,
          ]
        : []),
    ],
  };
}

/**
 * The figures gates check. Latency is taken from the intended send time when the run was rate
 * limited (no coordinated omission). Timing figures are always given: a harness that could not
 * keep up only makes them worse (lower rates, higher latency), so a timing gate that passes is
 * sound either way; one that fails while the harness was saturated is judged by
 * helpers/scenario/timing-verdict.ts. A publish-only run has no receive figures.
 */
export function gateFigures(load: LoadResult): GateFigures {
  const c = load.counters;
  const receiving = c.receiverGroups > 0;
  const figures: GateFigures = {
    duplicateRate: c.duplicateRatio,
    reorderedRate: c.received > 0 ? c.reordered / c.received : 0,
    // A message without our identity header on a topic only this scenario uses was ours once:
    // its header was damaged beyond recognition, so it counts as corrupted too.
    corrupted: c.corrupted + c.foreign,
    unconfirmed: c.unconfirmed + c.publishFailed,
    publishPerSec: load.throughput.confirmedPerSecond,
  };
  const requested = load.workload.ratePerSecond;
  if (receiving) {
    figures.lossRate = c.lossRatio;
    figures.receivePerSec = load.throughput.receivedPerSecond;
    figures.p99Ms = (load.latency.endToEndFromIntended ?? load.latency.endToEnd).p99 / 1000;
    if (requested > 0) figures.rateAchieved = load.throughput.receivedPerSecond / requested;
  } else if (requested > 0) {
    figures.rateAchieved = load.throughput.confirmedPerSecond / requested;
  }
  return figures;
}

function latency(report: LatencyReport): LatencySummaryUs {
  return {
    count: report.count,
    min: report.min,
    mean: report.mean,
    p50: report.p50,
    p90: report.p90,
    p99: report.p99,
    p99_9: report.p99_9,
    max: report.max,
    histogram: report.histogram,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
