import { describe, expect, it } from 'vitest';
import { createRandom } from '../load/payload/prng.js';
import {
  createLatencyHistogram,
  encodeLatencyHistogram,
  LATENCY_HIGHEST_US,
  latencyReport,
  mergeEncodedHistograms,
  recordLatencyUs,
  summarizeLatency,
} from './latency-histogram.js';
import { IntervalLatencyRecorder } from './interval-recorder.js';

describe('latency histograms', () => {
  it('merged from their encoded form equal one histogram that recorded everything', () => {
    const random = createRandom(7);
    const parts = [createLatencyHistogram(), createLatencyHistogram(), createLatencyHistogram()];
    const all = createLatencyHistogram();
    for (let i = 0; i < 30_000; i++) {
      const us = Math.floor(50 + random() ** 4 * 2_000_000);
      const part = parts[i % parts.length];
      if (!part) throw new Error('no part');
      recordLatencyUs(part, us);
      recordLatencyUs(all, us);
    }
    const merged = mergeEncodedHistograms(parts.map(encodeLatencyHistogram));
    expect(summarizeLatency(merged)).toEqual(summarizeLatency(all));
    for (const percentile of [1, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(merged.getValueAtPercentile(percentile)).toBe(all.getValueAtPercentile(percentile));
    }
    expect(encodeLatencyHistogram(merged)).toBe(encodeLatencyHistogram(all));
  });

  it('summarises in integer microseconds with p50/p90/p99/p99.9/max', () => {
    const histogram = createLatencyHistogram();
    for (let us = 1; us <= 1_000; us++) recordLatencyUs(histogram, us + 0.7);
    const summary = summarizeLatency(histogram);
    expect(summary).toMatchObject({ count: 1_000, min: 1, p50: 500, p90: 900, p99: 990, p99_9: 999, max: 1_000 });
    expect(summarizeLatency(createLatencyHistogram())).toMatchObject({ count: 0, p99: 0 });
  });

  it('clamps values outside the bounds and reports negatives', () => {
    const histogram = createLatencyHistogram();
    expect(recordLatencyUs(histogram, LATENCY_HIGHEST_US * 10)).toBe(true);
    expect(recordLatencyUs(histogram, -5)).toBe(false);
    expect(histogram.totalCount).toBe(2);
    expect(summarizeLatency(histogram).min).toBe(0);
  });

  it('reports per-interval percentiles and folds them into the cumulative histogram', () => {
    const recorder = new IntervalLatencyRecorder();
    for (let us = 1; us <= 100; us++) recorder.record(us);
    expect(recorder.flushInterval()).toEqual({ count: 100, p50Us: 50, p99Us: 99 });
    expect(recorder.flushInterval()).toEqual({ count: 0, p50Us: null, p99Us: null });
    recorder.record(5_000);
    recorder.flushInterval();
    const report = recorder.report();
    expect(report).toMatchObject({ unit: 'us', count: 101 });
    // Values are HDR bucket-equivalent: within 0.1 % at 3 significant digits.
    expect(report.max).toBeGreaterThanOrEqual(5_000);
    expect(report.max).toBeLessThanOrEqual(5_005);
    expect(report.histogram).toMatch(/^HIST/);
    expect(latencyReport(createLatencyHistogram()).count).toBe(0);
  });
});
