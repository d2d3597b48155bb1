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

/** Waits shorter than this use setImmediate: timers cannot fire sooner than 1 ms. */
const MIN_TIMER_WAIT_US = 1000;

export interface Wakeup {
  cancel(): void;
}

/**
 * Runs `fn` at `targetUs` without being limited by timer granularity:
 * setTimeout for waits ≥ 1 ms (it may fire up to ~1 ms late; the caller sends
 * everything due in one batch), setImmediate otherwise.
 */
export function wakeAt(targetUs: number, fn: () => void, clock: MicrosecondClock = nowUs): Wakeup {
  const waitUs = targetUs - clock();
  if (waitUs >= MIN_TIMER_WAIT_US) {
    const timer = setTimeout(fn, Math.floor(waitUs / 1000));
    return { cancel: () => clearTimeout(timer) };
  }
  const immediate = setImmediate(fn);
  return { cancel: () => clearImmediate(immediate) };
}
