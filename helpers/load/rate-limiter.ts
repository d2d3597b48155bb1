import { nowUs, type MicrosecondClock } from './clock.js';

/**
 * Intended send times on a fixed schedule, OpenMessaging Benchmark
 * `UniformRateLimiter` semantics: operation k is due at start + k / rate no
 * matter how late the sender is, so a stalled sender shows up as send delay
 * (actual − intended) and as latency from the intended time instead of being
 * hidden (coordinated omission). Times are µs on the monotonic clock.
 */
export class UniformRateLimiter {
  /** Interval between operations, fractional µs (10,000 msg/s → 100 µs; 3 msg/s → 333,333.3 µs). */
  readonly intervalUs: number;
  private startUs: number | undefined;
  private nextIndex = 0;

  constructor(
    readonly ratePerSecond: number,
    private readonly clock: MicrosecondClock = nowUs,
  ) {
    if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
      throw new RangeError(
        `UniformRateLimiter: ratePerSecond must be a finite number > 0, got ${ratePerSecond} (0 = unlimited is handled by the caller)`,
      );
    }
    this.intervalUs = 1e6 / ratePerSecond;
  }

  /** Fixes the schedule origin; the first acquire() does it implicitly otherwise. */
  start(atUs: number = this.clock()): void {
    if (this.startUs === undefined) this.startUs = atUs;
  }

  get started(): boolean {
    return this.startUs !== undefined;
  }

  /** Intended time of the next operation; advances the schedule by one interval. */
  acquire(): number {
    this.start();
    return this.intendedUsOf(this.nextIndex++);
  }

  /** Intended time of operation `index` (0-based), integer µs. */
  intendedUsOf(index: number): number {
    return Math.round(this.origin() + index * this.intervalUs);
  }

  /** How many operations are due at `atUs` (intended time ≤ atUs). */
  dueCount(atUs: number = this.clock()): number {
    const elapsedUs = atUs - this.origin();
    if (elapsedUs < 0) return 0;
    let count = Math.floor(elapsedUs / this.intervalUs) + 1;
    // Guard float rounding at exact boundaries so dueCount agrees with intendedUsOf.
    while (count > 0 && this.intendedUsOf(count - 1) > atUs) count--;
    while (this.intendedUsOf(count) <= atUs) count++;
    return count;
  }

  private origin(): number {
    if (this.startUs === undefined) {
      throw new Error('UniformRateLimiter: start() or acquire() must be called before reading the schedule');
    }
    return this.startUs;
  }
}

/** Timers cannot fire sooner than 1 ms. */
const MIN_TIMER_WAIT_US = 1000;

export interface Wakeup {
  cancel(): void;
}

/**
 * How the send loop waits for the next due operation when it is less than
 * 1 ms away (timers cannot wait less):
 * - "timer": a 1 ms timer, then every operation due by then goes out in one
 *   batch. Intended times stay exact, so the lateness (0-2 ms) is measured as
 *   send delay; the loop sleeps between batches (about 1,000 wake-ups/s).
 * - "immediate": poll with setImmediate until the time comes: sub-millisecond
 *   send delay, but the event loop never sleeps, so at ≥ 1,000 msg/s one core
 *   is pinned (and taken from the broker or forwarder on a small machine).
 */
export type SendSchedule = 'timer' | 'immediate';

/**
 * Runs `fn` at (or, on the "timer" schedule, up to ~2 ms after) `targetUs`:
 * setTimeout for waits ≥ 1 ms; shorter waits use setImmediate ("immediate")
 * or a 1 ms timer ("timer"). The caller sends everything due in one batch.
 */
export function wakeAt(
  targetUs: number,
  fn: () => void,
  clock: MicrosecondClock = nowUs,
  schedule: SendSchedule = 'immediate',
): Wakeup {
  const waitUs = targetUs - clock();
  if (waitUs >= MIN_TIMER_WAIT_US || (schedule === 'timer' && waitUs > 0)) {
    const timer = setTimeout(fn, Math.max(1, Math.floor(waitUs / 1000)));
    return { cancel: () => clearTimeout(timer) };
  }
  const immediate = setImmediate(fn);
  return { cancel: () => clearImmediate(immediate) };
}
