/**
 * Named figures of a result (the names gates use: lossRate, p99Ms, receivePerSec, ...), each
 * computed from the counters, histograms and throughput the result carries, never from another
 * derived figure. Used to recompute gates after merging and to compare with a baseline.
 */
import type { ComparedFigure, FigureSample, RepeatFigures } from './report-types.js';
import { lossRateOf, type TestbenchResult } from './testbench-result.js';

/** The value of a named figure, or undefined when the result does not have what it needs. */
export function figureValue(result: TestbenchResult, figure: string): number | undefined {
  const c = result.counters;
  const latency = result.latency;
  switch (figure) {
    case 'lossRate':
      return c ? (lossRateOf(c) ?? 0) : undefined;
    case 'duplicateRate':
      return c ? (c.received > 0 ? c.duplicates / c.received : 0) : undefined;
    case 'reorderedRate':
      return c ? (c.received > 0 ? c.reordered / c.received : 0) : undefined;
    case 'corrupted':
    case 'lost':
    case 'sent':
    case 'received':
    case 'duplicates':
    case 'reordered':
      return c ? c[figure] : undefined;
    case 'p50Us':
    case 'p90Us':
    case 'p99Us':
    case 'p99_9Us':
    case 'maxUs':
    case 'meanUs': {
      const name = figure.slice(0, -2) as 'p50' | 'p90' | 'p99' | 'p99_9' | 'max' | 'mean';
      return latency && latency.count > 0 ? latency[name] : undefined;
    }
    case 'p99Ms': {
      // Gates take p99 from the intended send time when the run was rate limited (no coordinated omission).
      const source =
        result.latencyFromIntended && result.latencyFromIntended.count > 0 ? result.latencyFromIntended : latency;
      return source && source.count > 0 ? source.p99 / 1000 : undefined;
    }
    case 'receivePerSec':
    case 'publishPerSec':
      return result.throughput?.[figure];
    case 'rateAchieved': {
      const requested = result.observations?.['requestedRatePerSec'];
      return typeof requested === 'number' && requested > 0 && result.throughput
        ? result.throughput.receivePerSec / requested
        : undefined;
    }
    default:
      return undefined;
  }
}

/** The key figures of one run, kept per repeat. */
export function repeatFigures(result: TestbenchResult, runId: string): RepeatFigures {
  const figures: RepeatFigures = { runId };
  const c = result.counters;
  if (c) {
    Object.assign(figures, {
      sent: c.sent,
      received: c.received,
      lost: c.lost,
      duplicates: c.duplicates,
      lossRate: lossRateOf(c) ?? 0,
    });
  }
  const l = result.latency;
  if (l && l.count > 0)
    Object.assign(figures, { p50Us: l.p50, p90Us: l.p90, p99Us: l.p99, p99_9Us: l.p99_9, maxUs: l.max });
  const t = result.throughput;
  if (t)
    Object.assign(figures, {
      publishPerSec: t.publishPerSec,
      receivePerSec: t.receivePerSec,
      durationMs: t.durationMs,
    });
  return figures;
}

/**
 * Median and spread of a compared figure over the runs of a result: its repeats when it has
 * some, else its own single value.
 */
export function figureSample(
  result: TestbenchResult & { repeats?: RepeatFigures[] },
  figure: ComparedFigure,
): FigureSample | undefined {
  const values =
    result.repeats && result.repeats.length > 0
      ? result.repeats.map((r) => r[figure]).filter((v): v is number => typeof v === 'number')
      : [figureValue(result, figure)].filter((v): v is number => v !== undefined);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(sorted), min: sorted[0] as number, max: sorted.at(-1) as number, n: sorted.length };
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
