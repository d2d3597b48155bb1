/**
 * Decides whether the harness itself limited a run ("measure the harness before
 * blaming the broker": mqtt.js #1899, #1007). A saturated run's numbers are a
 * lower bound for the system under test and must not be gated on.
 */

/** Event loop busy for more than this share of the run: the harness process was CPU-bound. */
export const EVENT_LOOP_UTILIZATION_LIMIT = 0.95;
/** Timers and socket reads were this late at p99: latencies include harness queueing. */
export const EVENT_LOOP_LAG_P99_LIMIT_MS = 50;
/** Below this share of the requested rate the schedule was not kept. */
export const ACHIEVED_RATE_MIN_SHARE = 0.95;
/** Sends later than this at p99 while no window was full: the sender fell behind. */
export const SEND_DELAY_P99_LIMIT_US = 20_000;

export interface SaturationInputs {
  eventLoopUtilization: number;
  eventLoopLagP99Ms: number;
  requestedRatePerSecond: number;
  achievedRatePerSecond: number;
  /** p99 of actual − intended send time; null when not rate limited. */
  sendDelayP99Us: number | null;
  /** Backpressure episodes (full in-flight window, socket not draining): the broker set the pace. */
  windowFullCount: number;
}

/** Returns one readable sentence per reason; empty when the harness was not the bottleneck. */
export function assessSaturation(inputs: SaturationInputs): string[] {
  const reasons: string[] = [];
  const rateLimited = inputs.requestedRatePerSecond > 0;
  // Rate limited, the loop polls with setImmediate for sub-millisecond waits, so a
  // busy loop is expected there; send delay and achieved rate tell saturation instead.
  if (!rateLimited && inputs.eventLoopUtilization > EVENT_LOOP_UTILIZATION_LIMIT) {
    reasons.push(
      `harness event loop was busy ${pct(inputs.eventLoopUtilization)} of the run ` +
        `(limit ${pct(EVENT_LOOP_UTILIZATION_LIMIT)}): the load generator was CPU-bound`,
    );
  }
  if (inputs.eventLoopLagP99Ms > EVENT_LOOP_LAG_P99_LIMIT_MS) {
    reasons.push(
      `harness event-loop lag p99 was ${inputs.eventLoopLagP99Ms} ms ` +
        `(limit ${EVENT_LOOP_LAG_P99_LIMIT_MS} ms): latencies include harness queueing`,
    );
  }
  const brokerBackpressure = inputs.windowFullCount > 0;
  if (rateLimited && !brokerBackpressure) {
    if (inputs.achievedRatePerSecond < inputs.requestedRatePerSecond * ACHIEVED_RATE_MIN_SHARE) {
      reasons.push(
        `achieved ${Math.round(inputs.achievedRatePerSecond)} msg/s of the requested ` +
          `${inputs.requestedRatePerSecond} msg/s while no publisher window was full: ` +
          `the sender could not keep the schedule`,
      );
    }
    if (inputs.sendDelayP99Us !== null && inputs.sendDelayP99Us > SEND_DELAY_P99_LIMIT_US) {
      reasons.push(
        `send delay p99 was ${inputs.sendDelayP99Us} µs (limit ${SEND_DELAY_P99_LIMIT_US} µs) ` +
          `while no publisher window was full: the sender fell behind its schedule`,
      );
    }
  }
  return reasons;
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
