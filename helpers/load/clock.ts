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
 * Moves nowUs() onto the wall-clock timeline: µs since WALL_EPOCH_MS, as this machine's wall clock
 * read when the process started (performance.timeOrigin, µs precision) and advanced by the
 * monotonic clock since, so NTP adjustments during the run do not move it. Computed once per
 * process: calling it again changes nothing.
 */
export function useWallClockBase(): void {
  if (wallOffsetUs === undefined) {
    // The first use of `performance` loads perf_hooks (milliseconds): before the two clock reads, not between them.
    const perf = performance;
    const wallUs = Math.round((perf.timeOrigin + perf.now() - WALL_EPOCH_MS) * 1000);
    const monotonicUs = nowUs() - offsetUs;
    wallOffsetUs = wallUs - monotonicUs;
  }
  offsetUs = wallOffsetUs;
}

/** µs on the wall-clock timeline (the engine's clock once useWallClockBase ran) of a wall-clock time in ms since 1970. */
export function wallMsToClockUs(epochMs: number): number {
  return Math.round((epochMs - WALL_EPOCH_MS) * 1000);
}
