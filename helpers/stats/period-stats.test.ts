import { describe, expect, it } from 'vitest';
import { PeriodSeries, type PeriodTotals } from './period-stats.js';

const NO_LATENCY = { count: 0, p50Us: null, p99Us: null };

function totals(published: number, confirmed: number, received: number, backlog: number): PeriodTotals {
  return { published, confirmed, received, publishFailed: 0, backlog, inflight: published - confirmed };
}

describe('PeriodSeries', () => {
  it('turns cumulative samples into per-period counts and rates', () => {
    const series = new PeriodSeries(1_000_000);
    series.close({
      nowUs: 2_000_000,
      totals: totals(1_000, 990, 980, 10),
      endToEnd: { count: 980, p50Us: 120, p99Us: 900 },
      publishConfirm: NO_LATENCY,
      eventLoopUtilization: 0.4,
    });
    const second = series.close({
      nowUs: 2_500_000,
      totals: totals(1_500, 1_500, 1_500, 0),
      endToEnd: NO_LATENCY,
      publishConfirm: NO_LATENCY,
      eventLoopUtilization: 0.1,
    });
    expect(series.series[0]).toMatchObject({
      startMs: 0,
      durationMs: 1_000,
      published: 1_000,
      publishRate: 1_000,
      receiveRate: 980,
      backlog: 10,
      inflight: 10,
      endToEndP99Us: 900,
    });
    expect(second).toMatchObject({
      startMs: 1_000,
      durationMs: 500,
      published: 500,
      confirmed: 510,
      received: 520,
      publishRate: 1_000,
      receiveRate: 1_040,
      backlog: 0,
      endToEndP50Us: null,
    });
  });
});
