import {
  createLatencyHistogram,
  decodeLatencyHistogram,
  encodeLatencyHistogram,
  latencyReport,
  recordLatencyUs,
  type Histogram,
} from './latency-histogram.js';
import type { LatencyReport } from './types.js';

export interface IntervalPercentiles {
  count: number;
  p50Us: number | null;
  p99Us: number | null;
}

/**
 * Records into a per-period histogram that is folded into the cumulative one
 * at every period end (HdrHistogram `Recorder` style): one recordValue per
 * sample, and per-period percentiles come from real data, not from deltas.
 */
export class IntervalLatencyRecorder {
  private readonly interval: Histogram = createLatencyHistogram();
  private readonly cumulative: Histogram = createLatencyHistogram();
  private negatives = 0;

  record(latencyUs: number): void {
    if (!recordLatencyUs(this.interval, latencyUs)) this.negatives++;
  }

  /** Closes the current period: returns its percentiles and adds it to the cumulative histogram. */
  flushInterval(): IntervalPercentiles {
    const count = this.interval.totalCount;
    const result: IntervalPercentiles =
      count === 0
        ? { count, p50Us: null, p99Us: null }
        : {
            count,
            p50Us: this.interval.getValueAtPercentile(50),
            p99Us: this.interval.getValueAtPercentile(99),
          };
    if (count > 0) {
      this.cumulative.add(this.interval);
      this.interval.reset();
    }
    return result;
  }

  /**
   * Closes the current period like flushInterval, returning the period's histogram
   * encoded (for merging across workers), or null when nothing was recorded.
   */
  flushIntervalHistogram(): string | null {
    const count = this.interval.totalCount;
    if (count === 0) return null;
    const encoded = encodeLatencyHistogram(this.interval);
    this.cumulative.add(this.interval);
    this.interval.reset();
    return encoded;
  }

  /** The cumulative histogram (flush first); read-only use. */
  get cumulativeHistogram(): Histogram {
    return this.cumulative;
  }

  /** Cumulative report; call flushInterval first so the last partial period is included. */
  report(): LatencyReport {
    return latencyReport(this.cumulative);
  }

  get negativeCount(): number {
    return this.negatives;
  }
}

/** Percentiles of one period from several workers' encoded period histograms (exact merge). */
export function mergedIntervalPercentiles(encoded: readonly (string | null)[]): IntervalPercentiles {
  const present = encoded.filter((item): item is string => item !== null);
  if (present.length === 0) return { count: 0, p50Us: null, p99Us: null };
  const merged = createLatencyHistogram();
  for (const item of present) merged.add(decodeLatencyHistogram(item));
  return { count: merged.totalCount, p50Us: merged.getValueAtPercentile(50), p99Us: merged.getValueAtPercentile(99) };
}
