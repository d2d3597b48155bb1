/**
 * The one clock of the load engine: CLOCK_MONOTONIC in integer microseconds.
 *
 * `process.hrtime` reads CLOCK_MONOTONIC, which on Linux is system-wide: stamps
 * taken in different worker threads or processes of one machine compare
 * directly, so a publisher in one process and a subscriber in another measure
 * a valid end-to-end latency. Across machines the clocks are unrelated (and
 * NTP wall clocks are not precise enough), so cross-machine latency needs a
 * shared clock and is NOT supported: run publishers and subscribers on the
 * same host.
 */
export type MicrosecondClock = () => number;

/**
 * µs since an arbitrary fixed point (boot), exactly ⌊process.hrtime.bigint() / 1000⌋. Read as
 * `process.hrtime()` (the same CLOCK_MONOTONIC reading as [seconds, nanoseconds]) because the
 * optimiser removes that array, while every `hrtime.bigint()` allocates a BigInt: the engine reads
 * the clock several times per message, and those BigInts were a tenth of its garbage.
 */
export const nowUs: MicrosecondClock = () => {
  const time = process.hrtime();
  return time[0] * 1_000_000 + Math.floor(time[1] / 1000);
};
