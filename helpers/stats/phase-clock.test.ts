import { describe, expect, test } from 'vitest';
import { attribute, PhaseClock } from './phase-clock.js';

describe('where the time went', () => {
  test('each instant counts once, for its most specific phase; the rest is other', () => {
    // 0-100 ms: start 10-60 with readiness 40-60 inside; measurement 70-90 overlapping waiting 80-95.
    const totals = attribute(
      [
        { phase: 'start', startMs: 10, endMs: 60 },
        { phase: 'readiness', startMs: 40, endMs: 60 },
        { phase: 'measurement', startMs: 70, endMs: 90 },
        { phase: 'waiting', startMs: 80, endMs: 95 },
      ],
      0,
      100,
    );
    expect(totals).toEqual({ teardown: 0, readiness: 20, start: 30, waiting: 15, measurement: 10, other: 25 });
    expect(Object.values(totals).reduce((a, b) => a + b, 0)).toBe(100);
  });

  test('intervals are clipped to the span, and concurrent ones of one phase count once', () => {
    const totals = attribute(
      [
        { phase: 'measurement', startMs: -50, endMs: 30 },
        { phase: 'measurement', startMs: 10, endMs: 40 },
        { phase: 'teardown', startMs: 90, endMs: 150 },
      ],
      0,
      100,
    );
    expect(totals).toMatchObject({ measurement: 40, teardown: 10, other: 50 });
  });

  test('the clock records a phase also when its work throws, and take() starts a new span', async () => {
    const clock = new PhaseClock();
    await expect(
      clock.time('start', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('broker did not start');
      }),
    ).rejects.toThrow('broker did not start');
    const first = clock.take();
    expect(first.start).toBeGreaterThanOrEqual(15);
    expect(clock.take().start).toBe(0);
  });
});
