import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { gateFigures } from './to-result.js';

function load(overrides: { receiverGroups?: number; harnessSaturated?: boolean; unconfirmed?: number }): LoadResult {
  return {
    workload: { ratePerSecond: 1_000 },
    counters: {
      receiverGroups: overrides.receiverGroups ?? 1,
      lossRatio: 0,
      duplicateRatio: 0,
      received: 100,
      reordered: 0,
      corrupted: 0,
      foreign: 0,
      unconfirmed: overrides.unconfirmed ?? 0,
      publishFailed: 0,
    },
    latency: { endToEnd: { p99: 9_000 }, endToEndFromIntended: { p99: 12_000 } },
    throughput: { receivedPerSecond: 990, confirmedPerSecond: 995 },
    diagnostics: { harnessSaturated: overrides.harnessSaturated ?? false, limitedBy: 'requested-rate' },
  } as unknown as LoadResult;
}

describe('gateFigures', () => {
  it('gates delivery, acknowledgements, rate and latency (from the intended send time)', () => {
    expect(gateFigures(load({ unconfirmed: 3 }))).toEqual({
      lossRate: 0,
      duplicateRate: 0,
      reorderedRate: 0,
      corrupted: 0,
      unconfirmed: 3,
      publishPerSec: 995,
      receivePerSec: 990,
      rateAchieved: 0.99,
      p99Ms: 12,
    });
  });

  it('gives the timing figures of a saturated run too: saturation can only make them worse', () => {
    const figures = gateFigures(load({ harnessSaturated: true }));
    expect(figures).toMatchObject({ receivePerSec: 990, p99Ms: 12, rateAchieved: 0.99 });
  });

  it('a publish-only run has no receive figures; its rate is the confirmed one', () => {
    const figures = gateFigures(load({ receiverGroups: 0 }));
    expect(Object.keys(figures).sort()).toEqual([
      'corrupted',
      'duplicateRate',
      'publishPerSec',
      'rateAchieved',
      'reorderedRate',
      'unconfirmed',
    ]);
    expect(figures.rateAchieved).toBe(0.995);
  });
});
