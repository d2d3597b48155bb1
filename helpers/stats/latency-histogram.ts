import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencyReport, LatencySummary } from './types.js';

export type { Histogram } from 'hdr-histogram-js';

export const LATENCY_LOWEST_US = 1;
/** One hour: anything slower is a stuck message, not a latency. */
export const LATENCY_HIGHEST_US = 3_600_000_000;
export const LATENCY_SIGNIFICANT_DIGITS = 3;

/**
 * A fixed-range histogram of integer microseconds. autoResize is off so every
 * histogram has the same layout and `add` of a decoded one is always exact.
 */
export function createLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: LATENCY_LOWEST_US,
    highestTrackableValue: LATENCY_HIGHEST_US,
    numberOfSignificantValueDigits: LATENCY_SIGNIFICANT_DIGITS,
    autoResize: false,
  });
}

/**
 * Records a latency in µs, truncated to an integer (the histogram only takes
 * integers, hdr-histogram-js #35) and clamped to [0, LATENCY_HIGHEST_US].
 * Returns false when the value was negative (and recorded as 0).
 */
export function recordLatencyUs(histogram: Histogram, latencyUs: number): boolean {
  if (latencyUs < 0) {
    histogram.recordValue(0);
    return false;
  }
  histogram.recordValue(latencyUs > LATENCY_HIGHEST_US ? LATENCY_HIGHEST_US : Math.trunc(latencyUs));
  return true;
}

export function summarizeLatency(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0 };
  // min/max via percentiles 0/100 (bucket-equivalent values, within the 3-digit
  // precision), so a summary of a merged histogram equals one of a single histogram.
  return {
    count,
    min: histogram.getValueAtPercentile(0),
    mean: Math.round(histogram.mean * 10) / 10,
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p99_9: histogram.getValueAtPercentile(99.9),
    max: histogram.getValueAtPercentile(100),
  };
}

export function latencyReport(histogram: Histogram): LatencyReport {
  return { unit: 'us', ...summarizeLatency(histogram), histogram: encodeLatencyHistogram(histogram) };
}

export function encodeLatencyHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeLatencyHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded);
}

/** Exact merge of encoded histograms (never average percentiles). */
export function mergeEncodedHistograms(encoded: readonly string[]): Histogram {
  const total = createLatencyHistogram();
  for (const item of encoded) total.add(decodeLatencyHistogram(item));
  return total;
}
