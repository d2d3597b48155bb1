/**
 * The one clock of the load engine: CLOCK_MONOTONIC in integer microseconds, plus an offset that
 * is 0 unless a sharded run moved it onto the wall-clock timeline (`useWallClockBase`).
 *
 * `process.hrtime` reads CLOCK_MONOTONIC, which on Linux is system-wide: stamps
 * taken in different worker threads or processes of one machine compare
 * directly, so a publisher in one process and a subscriber in another measure
 * a valid end-to-end latency. Across machines the monotonic clocks are unrelated: shards of one
 * run (helpers/load/shard) therefore stamp µs since WALL_EPOCH on each machine's wall clock (read
 * once, then advanced by the monotonic clock), so a publisher on one machine and a subscriber on
 * another compare stamps up to the skew of their wall clocks, which the shards measure through
 * the broker and report.
 */
export type MicrosecondClock = () => number;

/** Origin of the wall-clock timeline: 2020-01-01T00:00:00Z (µs since then fit the payload's 15 digits until 2051). */
export const WALL_EPOCH_MS = Date.UTC(2020, 0, 1);

let offsetUs = 0;
let wallOffsetUs: number | undefined;

/**
 * µs since an arbitrary fixed point (boot), exactly ⌊process.hrtime.bigint() / 1000⌋, plus the
 * clock offset (0 unless set). Read as `process.hrtime()` (the same CLOCK_MONOTONIC reading as
 * [seconds, nanoseconds]) because the optimiser removes that array, while every `hrtime.bigint()`
 * allocates a BigInt: the engine reads the clock several times per message, and those BigInts
 * were a tenth of its garbage.
 */
export const nowUs: MicrosecondClock = () => {
  const time = process.hrtime();
  return time[0] * 1_000_000 + Math.floor(time[1] / 1000) + offsetUs;
};

/** The offset added to every reading (0: the plain monotonic clock). Worker threads get the main thread's. */
export function clockOffsetUs(): number {
  return offsetUs;
}

/**
 * Sets the offset. Only before a run takes its first stamp: stamps taken before and after a change
 * do not compare.
 */
export function setClockOffsetUs(us: number): void {
  if (!Number.isSafeInteger(us)) throw new RangeError(`clock offset must be an integer number of µs, got ${us}`);
  offsetUs = us;
}

/**
 * Moves nowUs() onto the wall-clock timeline: µs since WALL_EPOCH_MS on this machine's wall clock,
 * paired once with the monotonic clock (wallClockOffsetUs) and advanced by the monotonic clock
 * from then on, so NTP adjustments during the run do not move it. Computed once per process:
 * calling it again changes nothing.
 */
export function useWallClockBase(): void {
  wallOffsetUs ??= wallClockOffsetUs() - WALL_EPOCH_MS * 1000;
  offsetUs = wallOffsetUs;
}

/**
 * Date.now() ticks to look at, at most (one per ms), and a bracket that is good enough to stop at
 * (µs). Shards start together and spin here side by side: on 2 cores each is off the CPU about
 * half the time, so 5 ticks were all preempted now and then (run 20261207-032801-654aa7: brackets
 * up to 853 µs, 129 cross-shard latencies below zero). 50 ticks make that vanishingly rare; the
 * loop stops at the first good one.
 */
const WALL_EDGES = 50;
const GOOD_BRACKET_US = 5;

/**
 * Wall-clock µs minus monotonic µs. Date.now() has whole milliseconds, so the pairing is taken at
 * the instant its value changes: that instant lies between two monotonic reads around consecutive
 * Date.now() calls, a fraction of a µs apart unless the thread was preempted in between; of a few
 * such edges the tightest is kept. (performance.timeOrigin pairs its two clocks at process start,
 * and a busy machine preempts that pairing: two processes started together were 1.4 ms apart.)
 */
export function wallClockOffsetUs(): number {
  const monotonicUs = (): number => {
    const time = process.hrtime();
    return time[0] * 1_000_000 + time[1] / 1000;
  };
  let best = { offsetUs: 0, bracketUs: Number.POSITIVE_INFINITY };
  for (let edge = 0; edge < WALL_EDGES && best.bracketUs > GOOD_BRACKET_US; edge++) {
    let beforeUs = monotonicUs();
    const fromMs = Date.now();
    for (;;) {
      const readStartUs = monotonicUs();
      const ms = Date.now();
      const readEndUs = monotonicUs();
      if (ms !== fromMs) {
        // The wall clock reached `ms` after the previous Date.now() began and before this one ended.
        const bracketUs = readEndUs - beforeUs;
        if (bracketUs < best.bracketUs) best = { offsetUs: ms * 1000 - (beforeUs + readEndUs) / 2, bracketUs };
        break;
      }
      beforeUs = readStartUs;
    }
  }
  return Math.round(best.offsetUs);
}

/** µs on the wall-clock timeline (the engine's clock once useWallClockBase ran) of a wall-clock time in ms since 1970. */
export function wallMsToClockUs(epochMs: number): number {
  return Math.round((epochMs - WALL_EPOCH_MS) * 1000);
}
