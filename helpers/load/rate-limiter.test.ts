import { afterEach, describe, expect, it, vi } from 'vitest';
import { UniformRateLimiter, wakeAt } from './rate-limiter.js';

function fakeClock(startUs: number): { now: () => number; set: (us: number) => void } {
  let current = startUs;
  return { now: () => current, set: (us) => (current = us) };
}

afterEach(() => vi.restoreAllMocks());

describe('UniformRateLimiter', () => {
  it('hands out intended times one interval apart from the first acquire', () => {
    const clock = fakeClock(5_000);
    const limiter = new UniformRateLimiter(1_000, clock.now);
    expect(limiter.intervalUs).toBe(1_000);
    expect([limiter.acquire(), limiter.acquire(), limiter.acquire()]).toEqual([5_000, 6_000, 7_000]);
  });

  it('keeps the schedule when the sender is late (no coordinated omission)', () => {
    const clock = fakeClock(0);
    const limiter = new UniformRateLimiter(10_000, clock.now);
    expect(limiter.acquire()).toBe(0);
    clock.set(50_000); // the sender stalled for 50 ms
    expect(limiter.acquire()).toBe(100);
    expect(limiter.acquire()).toBe(200);
    expect(limiter.dueCount(50_000)).toBe(501);
  });

  it('counts due operations exactly at interval boundaries', () => {
    const clock = fakeClock(1_000);
    const limiter = new UniformRateLimiter(2_000, clock.now);
    limiter.start();
    expect(limiter.dueCount(999)).toBe(0);
    expect(limiter.dueCount(1_000)).toBe(1);
    expect(limiter.dueCount(1_499)).toBe(1);
    expect(limiter.dueCount(1_500)).toBe(2);
  });

  it('does not drift with fractional intervals', () => {
    const limiter = new UniformRateLimiter(3, () => 0);
    limiter.start(0);
    expect(limiter.intendedUsOf(3)).toBe(1_000_000);
    expect(limiter.intendedUsOf(3_000)).toBe(1_000_000_000);
    expect(limiter.dueCount(999_999)).toBe(3);
    expect(limiter.dueCount(1_000_000)).toBe(4);
  });

  it('rejects a rate that is not a positive finite number, naming it', () => {
    expect(() => new UniformRateLimiter(0)).toThrow(/ratePerSecond must be a finite number > 0, got 0/);
    expect(() => new UniformRateLimiter(Number.NaN)).toThrow(/got NaN/);
  });
});

describe('wakeAt', () => {
  it('uses setImmediate below 1 ms and setTimeout from 1 ms on', () => {
    const immediate = vi.spyOn(globalThis, 'setImmediate');
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    const noop = (): void => undefined;
    wakeAt(1_400, noop, () => 1_000).cancel();
    expect(immediate).toHaveBeenCalledTimes(1);
    expect(timeout).not.toHaveBeenCalled();
    wakeAt(4_500, noop, () => 1_000).cancel();
    expect(timeout).toHaveBeenCalledWith(noop, 3);
  });
});
