import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { gateFigures } from './to-result.js';

function load(diagnostics: Partial<LoadResult['diagnostics']>): LoadResult {
  return {
    workload: { ratePerSecond: 1_000 },
    counters: { lossRatio: 0, duplicateRatio: 0, received: 100, reordered: 0, corrupted: 0, foreign: 0 },
    latency: { endToEnd: { p99: 9_000 }, endToEndFromIntended: { p99: 12_000 } },
    throughput: { receivedPerSecond: 990 },
    diagnostics: { harnessSaturated: false, limitedBy: 'requested-rate', ...diagnostics },
  } as unknown as LoadResult;
}

describe('gateFigures', () => {
  it('gates delivery, rate and latency (from the intended send time) of a trustworthy run', () => {
    expect(gateFigures(load({}))).toEqual({
      lossRate: 0,
      duplicateRate: 0,
      reorderedRate: 0,
      corrupted: 0,
      receivePerSec: 990,
      rateAchieved: 0.99,
      p99Ms: 12,
    });
  });

  it('keeps the rate gates when only the latencies were distorted by harness lag', () => {
    const figures = gateFigures(load({ harnessSaturated: true, limitedBy: 'system-under-test' }));
    expect(figures.receivePerSec).toBe(990);
    expect(figures.p99Ms).toBeUndefined();
  });

  it('gates only delivery when the harness limited the rate', () => {
    const figures = gateFigures(load({ harnessSaturated: true, limitedBy: 'harness' }));
    expect(Object.keys(figures).sort()).toEqual(['corrupted', 'duplicateRate', 'lossRate', 'reorderedRate']);
  });
});
