import { describe, expect, test } from 'vitest';
import { loadGates } from '../gates/gate-file.js';
import { deliveryOnlyGates } from './child-suites.js';

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
});
