import { describe, expect, test } from 'vitest';
import { loadGates } from '../gates/gate-file.js';
import { resolveLimits } from '../gates/evaluate.js';
import { deliveryOnlyGates, withLatencyGate } from './child-suites.js';

describe('selftest child runs', () => {
  test('gate only what a broker delivers: the default delivery gates stay, the timing gates are lifted', () => {
    const defaults = loadGates(undefined).gates['forwarding-loss'];
    const gates = deliveryOnlyGates()['forwarding-loss'];
    expect(gates?.defaults).toMatchObject({
      maxLossRate: defaults?.defaults.maxLossRate,
      maxDuplicateRate: defaults?.defaults.maxDuplicateRate,
      maxCorrupted: defaults?.defaults.maxCorrupted,
      maxP99Ms: 3_600_000,
      minReceivePerSec: 0,
    });
    for (const [name, limits] of Object.entries(gates?.scenarios ?? {})) {
      expect(limits.maxP99Ms ?? 3_600_000, name).toBe(3_600_000);
      expect(limits.minRateAchieved ?? 0, name).toBe(0);
      expect(limits.maxReorderedRate, name).toEqual(defaults?.scenarios[name]?.maxReorderedRate);
    }
  });

  test('a latency case adds one p99 limit to one scenario and leaves every other limit as it was', () => {
    const base = deliveryOnlyGates();
    const gated = withLatencyGate(base, 'forwarding-loss', 'medium-direct', 1_000);
    const limits = (scenario: string, gates = gated) =>
      Object.fromEntries(
        Object.entries(resolveLimits(gates, 'forwarding-loss', scenario, 1).limits).map(([name, l]) => [name, l.value]),
      );
    expect(limits('medium-direct')).toEqual({ ...limits('medium-direct', base), maxP99Ms: 1_000 });
    expect(limits('light')).toEqual(limits('light', base));
    expect(limits('rate-500')).toEqual(limits('rate-500', base));
    expect(base['forwarding-loss']?.scenarios['medium-direct'], 'the base gates are not changed').toBeUndefined();
  });
});
