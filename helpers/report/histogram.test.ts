import { build } from 'hdr-histogram-js';
import { describe, expect, test } from 'vitest';
import { decodeHistogram, mergeHistograms, mergeLatency, percentileCurve, summarize } from './histogram.js';
import { encodedValues, latencyOf } from './testing/synthetic.js';

describe('merging encoded histograms', () => {
  test('is exact: the merge of two encoded histograms has the percentiles of all values together', () => {
    const fast = Array.from({ length: 900 }, (_, i) => 1000 + i);
    const slow = Array.from({ length: 100 }, (_, i) => 50_000 + i * 10);
    const merged = mergeHistograms([encodedValues(fast), encodedValues(slow)]);
    const direct = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const v of [...fast, ...slow]) direct.recordValue(v);
    expect(merged?.totalCount).toBe(1000);
    for (const p of [50, 90, 95, 99, 99.9])
      expect(merged?.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
  });

  test('never averages percentiles: p99 of the merge is not the mean of the inputs p99', () => {
    const a = latencyOf(1000, 1000, 1, 0);
    const b = latencyOf(1000, 10_000, 2, 0);
    const { latency, exact } = mergeLatency([a, b]);
    expect(exact).toBe(true);
    expect(latency?.count).toBe(2000);
    // Half the samples sit around 10 ms: the merged p50 lies between the groups, p99 is the slow group's tail.
    expect(latency?.p99).toBeGreaterThan((a.p99 + b.p99) / 2);
    expect(latency?.histogram).toBeTypeOf('string');
  });

  test('without a histogram on every input the merge says it is not exact', () => {
    const a = latencyOf(100, 1000);
    const { histogram: _h, ...bare } = latencyOf(300, 2000, 3);
    const { latency, exact } = mergeLatency([a, bare]);
    expect(exact).toBe(false);
    expect(latency?.count).toBe(400);
    expect(latency?.histogram).toBeUndefined();
  });

  test('names the broken input', () => {
    expect(() => mergeHistograms([encodedValues([1, 2, 3]), 'not-a-histogram'], 'latency')).toThrow(
      /latency #2 is not an HdrHistogram/,
    );
  });
});

describe('summaries', () => {
  test('no percentile is above the maximum recorded value', () => {
    const summary = summarize(decodeHistogram(encodedValues([7150, 7151, 100, 200])));
    expect(summary.max).toBe(7151);
    expect(summary.p99_9).toBeLessThanOrEqual(summary.max);
    expect(summary.p99).toBeLessThanOrEqual(summary.max);
  });

  test('an empty histogram summarises to zeros', () => {
    expect(summarize(build(), false)).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0 });
  });
});

describe('percentile curve', () => {
  test('x is 1/(1-p), rising in both axes, up to what the sample count resolves, ending at the maximum', () => {
    const histogram = decodeHistogram(latencyOf(10_000, 2000).histogram as string);
    const curve = percentileCurve(histogram);
    expect(curve[0]).toMatchObject({ x: 1, percentile: 0 });
    for (const point of curve.slice(0, -1)) expect(point.percentile).toBeCloseTo(100 * (1 - 1 / point.x), 2);
    for (let i = 1; i < curve.length; i += 1) {
      expect(curve[i]?.x).toBeGreaterThan(curve[i - 1]?.x as number);
      expect(curve[i]?.valueUs).toBeGreaterThanOrEqual(curve[i - 1]?.valueUs as number);
    }
    expect(curve.at(-1)).toMatchObject({ percentile: 100, valueUs: histogram.maxValue });
    expect(curve.at(-2)?.x).toBeLessThanOrEqual(10_000);
  });
});
