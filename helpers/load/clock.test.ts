import { describe, expect, it } from 'vitest';
import { wallClockOffsetUs, WALL_EPOCH_MS } from './clock.js';

describe('wall-clock base', () => {
  it('pairs the wall clock with the monotonic clock to within microseconds, every time', () => {
    const offsets = Array.from({ length: 5 }, () => wallClockOffsetUs());
    // Both clocks run at the same rate over milliseconds: every pairing finds the same offset.
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeLessThanOrEqual(50);
    const time = process.hrtime();
    const wallMs = (time[0] * 1e6 + time[1] / 1000 + (offsets[0] ?? 0)) / 1000;
    expect(Math.abs(wallMs - Date.now())).toBeLessThanOrEqual(2);
    expect(wallMs).toBeGreaterThan(WALL_EPOCH_MS);
  });
});
