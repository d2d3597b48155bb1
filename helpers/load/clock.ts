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
 * µs since an arbitrary fixed point (boot). Converting the ns count to a double
 * first is cheaper than BigInt division; past ~104 days of uptime the double rounds
 * the ns count to a few ns, still far below the µs resolution kept.
 */
export const nowUs: MicrosecondClock = () => Math.floor(Number(process.hrtime.bigint()) / 1000);
