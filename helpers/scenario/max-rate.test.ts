import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../load/run-load.js';
import { startAedes, type TestBroker } from '../load/testing/aedes-broker.js';
import type { LoadResult } from '../load/types.js';
import { DEFAULT_MAX_RATE_CRITERIA, describeSteps, findMaxSustainableRate } from './max-rate.js';

interface Fake {
  receivePerSec: number;
  lost?: number;
  p99Us?: number;
  saturated?: boolean;
}

function fakeLoad(fake: Fake): LoadResult {
  const expected = 1_000;
  const lost = fake.lost ?? 0;
  return {
    counters: { receiverGroups: 1, expected, lost, lossRatio: lost / expected },
    throughput: { receivedPerSecond: fake.receivePerSec, confirmedPerSecond: fake.receivePerSec },
    latency: { endToEnd: { p99: 1_000 }, endToEndFromIntended: { p99: fake.p99Us ?? 2_000 } },
    diagnostics: {
      limitedBy: fake.saturated ? 'harness' : 'requested-rate',
      harnessSaturated: fake.saturated ?? false,
    },
    errors: [],
  } as unknown as LoadResult;
}

/** A system that keeps up to `capacity` msg/s; above it, it receives only `capacity`. */
function systemWithCapacity(capacity: number, tried: number[], extra: (rate: number) => Partial<Fake> = () => ({})) {
  return (rate: number): Promise<LoadResult> => {
    tried.push(rate);
    return Promise.resolve(fakeLoad({ receivePerSec: Math.min(rate, capacity), ...extra(rate) }));
  };
}

describe('findMaxSustainableRate', () => {
  it('steps up until the receive rate falls behind and reports the highest rate that held', async () => {
    const tried: number[] = [];
    const result = await findMaxSustainableRate({
      rates: [5_000, 2_000, 10_000, 20_000],
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: systemWithCapacity(12_000, tried),
    });
    expect(tried).toEqual([2_000, 5_000, 10_000, 20_000]);
    expect(result).toMatchObject({ maxSustainableRate: 10_000, stoppedBy: 'failed' });
    expect(result.steps.map((s) => s.held)).toEqual([true, true, true, false]);
    expect(result.steps[3]?.failures[0]).toMatch(/received 12000 msg\/s, below 95 % of 20000 msg\/s/);
    expect(describeSteps(result.steps)).toMatch(/^2000 held · 5000 held · 10000 held · 20000 failed \(received 12000/);
  });

  it('bisects between the last rate that held and the first that did not', async () => {
    const tried: number[] = [];
    const result = await findMaxSustainableRate({
      rates: [2_000, 10_000, 20_000],
      bisect: 3,
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: systemWithCapacity(12_000, tried),
    });
    // 12,500 holds: 12,000 received is 96 % of it.
    expect(tried).toEqual([2_000, 10_000, 20_000, 15_000, 12_500, 13_800]);
    expect(result.maxSustainableRate).toBe(12_500);
  });

  it('stops at loss or latency beyond the limits', async () => {
    const lossy = await findMaxSustainableRate({
      rates: [1_000, 2_000],
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: systemWithCapacity(1e9, [], (rate) => ({ lost: rate > 1_000 ? 3 : 0 })),
    });
    expect(lossy).toMatchObject({ maxSustainableRate: 1_000, stoppedBy: 'failed' });
    expect(lossy.steps[1]?.failures[0]).toMatch(/lost 3 of 1000/);
    const slow = await findMaxSustainableRate({
      rates: [1_000, 2_000],
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: systemWithCapacity(1e9, [], (rate) => ({ p99Us: rate * 200 })),
    });
    expect(slow.maxSustainableRate).toBe(1_000);
    expect(slow.steps[1]?.failures[0]).toMatch(/p99 from intended send 400.0 ms, limit 250 ms/);
  });

  it('says when the harness, not the system, stopped the search, and does not bisect above it', async () => {
    const tried: number[] = [];
    const result = await findMaxSustainableRate({
      rates: [1_000, 2_000, 4_000],
      bisect: 3,
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: systemWithCapacity(1_500, tried, (rate) => ({ saturated: rate > 1_000 })),
    });
    expect(tried).toEqual([1_000, 2_000]);
    expect(result).toMatchObject({ maxSustainableRate: 1_000, stoppedBy: 'harness' });
    expect(result.steps[1]?.harnessLimited).toBe(true);
  });

  it('repeats a failed step before believing it, and reports every rate when all held', async () => {
    let calls = 0;
    const flaky = (rate: number): Promise<LoadResult> =>
      Promise.resolve(fakeLoad({ receivePerSec: ++calls === 2 ? rate / 2 : rate }));
    const result = await findMaxSustainableRate({
      rates: [1_000, 2_000],
      retries: 1,
      criteria: DEFAULT_MAX_RATE_CRITERIA,
      run: flaky,
    });
    expect(result.steps.map((s) => [s.rate, s.attempt, s.held])).toEqual([
      [1_000, 1, true],
      [2_000, 1, false],
      [2_000, 2, true],
    ]);
    expect(result).toMatchObject({ maxSustainableRate: 2_000, stoppedBy: 'exhausted' });
  });

  it('rejects rates that are not positive', async () => {
    await expect(
      findMaxSustainableRate({
        rates: [],
        criteria: DEFAULT_MAX_RATE_CRITERIA,
        run: () => Promise.reject(new Error('no')),
      }),
    ).rejects.toThrow(/rates must be positive numbers, got \[\]/);
  });
});

describe('findMaxSustainableRate with the load engine (smoke)', { timeout: 30_000 }, () => {
  let broker: TestBroker | undefined;
  afterEach(async () => {
    await broker?.close();
  });

  it('runs a short step per rate against an in-process broker', async () => {
    broker = await startAedes();
    const url = broker.url;
    const result = await findMaxSustainableRate({
      rates: [200, 400],
      // Plumbing, not performance: lax criteria so a busy CI machine does not decide the outcome.
      criteria: { minRateShare: 0.5, maxLossRate: 0, maxP99Ms: 5_000 },
      run: (rate) =>
        runLoad({
          publishUrl: url,
          subscribeUrl: url,
          workload: {
            name: `msr-${rate}`,
            publishers: 2,
            subscribers: 1,
            qos: 1,
            payload: { kind: 'fixed', bytes: 256 },
            durationMs: 600,
            ratePerSecond: rate,
            drainIdleMs: 500,
          },
          topicFor: (i) => `mtb/msr/${rate}/p${i}`,
          subscribeFilter: `mtb/msr/${rate}/#`,
          clientIdPrefix: `msr-${rate}`,
        }),
    });
    const steps = describeSteps(result.steps);
    expect(result.steps[0]?.rate, steps).toBe(200);
    expect(
      result.steps.every((s) => s.lossRate === 0),
      steps,
    ).toBe(true);
    expect(result.best?.workload.ratePerSecond ?? null, steps).toBe(result.maxSustainableRate);
    if (result.stoppedBy === 'exhausted') expect(result.maxSustainableRate).toBe(400);
  });
});
