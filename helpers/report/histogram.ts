/**
 * HdrHistogram helpers of the report layer: decode the V2 compressed base64 form results carry,
 * merge exactly (add, never average percentiles), recompute summaries and the percentile curve the
 * HTML report plots. Values are integer microseconds.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencySummaryUs } from './testbench-result.js';

/** Decodes one encoded histogram; throws a message that says which one is broken. */
export function decodeHistogram(encoded: string, what = 'histogram'): Histogram {
  try {
    return decodeFromCompressedBase64(encoded);
  } catch (error) {
    throw new Error(
      `${what} is not an HdrHistogram V2 compressed base64 string: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Adds the decoded histograms into one that resizes to fit any of them (inputs may come from
 * harnesses with different highest trackable values). Returns undefined for no input.
 */
export function mergeHistograms(encoded: readonly string[], what = 'histogram'): Histogram | undefined {
  if (encoded.length === 0) return undefined;
  const total = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
  encoded.forEach((item, index) => total.add(decodeHistogram(item, `${what} #${index + 1}`)));
  return total;
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** The percentile summary results carry, recomputed from a histogram (plus its encoded form). */
export function summarize(histogram: Histogram, withEncoded = true): LatencySummaryUs {
  const count = histogram.totalCount;
  if (count === 0)
    return {
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p99_9: 0,
      max: 0,
      ...(withEncoded ? { histogram: encodeHistogram(histogram) } : {}),
    };
  const max = histogram.maxValue;
  // A percentile is the top of its bucket (equivalent-value range), which can lie above the largest
  // value recorded; no percentile is above the maximum.
  const at = (percentile: number): number => Math.min(histogram.getValueAtPercentile(percentile), max);
  const summary: LatencySummaryUs = {
    count,
    // minNonZeroValue ignores recorded zeros; a histogram holding zeros has min 0.
    min: histogram.getValueAtPercentile(0) === 0 ? 0 : histogram.minNonZeroValue,
    mean: Math.round(histogram.mean * 10) / 10,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p99_9: at(99.9),
    max,
  };
  if (withEncoded) summary.histogram = encodeHistogram(histogram);
  return summary;
}

/**
 * Merges latency summaries: exactly through their histograms when every input has one; otherwise
 * (an input without histogram) no percentile can be computed honestly, so only count, min and max
 * are kept and the percentiles are those of the input with the most samples, flagged by the caller.
 */
export function mergeLatency(
  items: readonly (LatencySummaryUs | undefined)[],
  what = 'latency',
): { latency: LatencySummaryUs | undefined; exact: boolean } {
  const present = items.filter((item): item is LatencySummaryUs => item !== undefined);
  if (present.length === 0) return { latency: undefined, exact: true };
  if (present.length === 1) return { latency: present[0], exact: true };
  const encoded = present.map((item) => item.histogram).filter((h): h is string => typeof h === 'string');
  if (encoded.length === present.length) {
    const merged = mergeHistograms(encoded, what);
    return { latency: merged ? summarize(merged) : undefined, exact: true };
  }
  const largest = present.reduce((a, b) => (b.count > a.count ? b : a));
  const { histogram: _dropped, ...rest } = largest;
  return {
    latency: {
      ...rest,
      count: present.reduce((sum, item) => sum + item.count, 0),
      min: Math.min(...present.map((i) => i.min)),
      max: Math.max(...present.map((i) => i.max)),
    },
    exact: false,
  };
}

/** One point of a percentile curve: x = 1 / (1 − p) (1 = 0 %, 10 = 90 %, 100 = 99 %, ...), y in µs. */
export interface PercentilePoint {
  x: number;
  percentile: number;
  valueUs: number;
}

/**
 * The percentile distribution as HdrHistogram plots show it: percentiles that halve the distance
 * to 100 % in `ticksPerHalfDistance` steps, up to the resolution the sample count supports
 * (1 / (1 − p) ≤ count), then the maximum.
 */
export function percentileCurve(histogram: Histogram, ticksPerHalfDistance = 5): PercentilePoint[] {
  const count = histogram.totalCount;
  if (count === 0) return [];
  const points: PercentilePoint[] = [];
  for (let k = 0; ; k += 1) {
    const x = 2 ** (k / ticksPerHalfDistance);
    if (x > count) break;
    const percentile = 100 * (1 - 1 / x);
    points.push({
      x: round4(x),
      percentile: round4(percentile),
      valueUs: Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue),
    });
  }
  const lastX = points.at(-1)?.x ?? 1;
  points.push({ x: round4(Math.max(count, lastX * 1.0001)), percentile: 100, valueUs: histogram.maxValue });
  return points;
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
