/**
 * Decides who set the pace of a run ("measure the harness before blaming the
 * broker": mqtt.js #1899, #1007): the requested rate, the system under test,
 * or the harness itself. Only a run the harness limited is untrustworthy
 * (`harnessSaturated`): its throughput is a lower bound for the system under
 * test and its latencies include the harness's own queueing, so it must not
 * be gated on.
 *
 * Evidence, strongest first:
 * - where the unread bytes wait: in the harness's socket receive queues (the
 *   harness was behind) or in the broker's ends of the same connections (the
 *   broker was behind); a queue builds up in front of the bottleneck;
 * - backpressure from the broker (a publisher with a due message found its
 *   in-flight window full or its socket not draining);
 * - how busy the harness threads' event loops were (a loop with idle time was
 *   not the bottleneck; a busy one was, unless it waited on the broker);
 * - rate-limited runs: achieved versus requested rate and the send delay.
 * A busy harness thread alone proves nothing: with worker threads a
 * publishing thread is busy by design whenever the broker keeps up.
 */

/** Event loop busy for more than this share of the send phase: a candidate bottleneck. */
export const EVENT_LOOP_UTILIZATION_LIMIT = 0.95;
/** Timers and socket reads this late at p99 make harness queueing part of the latencies ... */
export const EVENT_LOOP_LAG_P99_LIMIT_MS = 50;
/** ... when the lag is at least this share of the measured latency p99. */
export const EVENT_LOOP_LAG_LATENCY_SHARE = 0.25;
/** Below this share of the requested rate the schedule was not kept. */
export const ACHIEVED_RATE_MIN_SHARE = 0.95;
/** Unlimited runs: a subscriber receiving below this share of the confirmed rate fell behind. */
export const RECEIVE_BEHIND_SHARE = 0.9;
/** Sends later than this at p99 while the broker was not pushing back: the sender fell behind. */
export const SEND_DELAY_P99_LIMIT_US = 20_000;
/** Unlimited runs: publishers waited on broker backpressure at least this share of the send phase. */
export const BACKPRESSURE_SHARE_UNLIMITED = 0.5;
/** Rate-limited runs that fell short: enough backpressure to blame the broker. */
export const BACKPRESSURE_SHARE_LIMITED = 0.1;
/**
 * Queues build up in front of the bottleneck. With the bytes in flight bounded (in-flight
 * windows, socket buffers), the side holding most of the unread bytes is the one behind:
 * one side's mean unread bytes must be at least QUEUE_DOMINANCE times the other's, and at
 * least QUEUE_MIN_BYTES, to count as evidence.
 */
export const QUEUE_DOMINANCE = 2;
export const QUEUE_MIN_BYTES = 64 * 1024;
/** Harness CPU time below this share of its busy event-loop time: other processes had the CPU. */
export const CPU_STARVED_SHARE = 0.7;

export type LimitedBy = 'requested-rate' | 'system-under-test' | 'harness';

export interface LimitInputs {
  requestedRatePerSecond: number;
  /**
   * Measured publishes per second from the first send to the last: whether the sender kept its
   * schedule. null when unknown (fewer than two sends): the confirmed rate stands in.
   */
  sentRatePerSecond: number | null;
  /** Confirmed publishes per second over the measured window (first send to last confirmation). */
  achievedRatePerSecond: number;
  /** Unique receipts per second per receiver group over the measured window (what one subscriber got); null when publishing only. */
  receivedPerGroupPerSecond: number | null;
  /** p99 of actual − intended send time; null when not rate limited. */
  sendDelayP99Us: number | null;
  /** The latency p99 gates use, µs: from the intended send time when rate limited, else end to end (0 when nothing was received). */
  latencyP99Us: number;
  /** Backpressure episodes (full window, socket slow to drain); the fallback when time shares are unknown. */
  windowFullCount: number;
  /** Share of publisher time spent waiting on broker backpressure (window full or socket not draining); null without publishers. */
  backpressureShare: number | null;
  /** Busiest harness thread: event-loop utilisation over the send phase (0..1). */
  eventLoopUtilization: number;
  /** Worst harness thread: event-loop lag p99. */
  eventLoopLagP99Ms: number;
  /**
   * Mean unread bytes in the kernel receive queues during the send phase: on the harness's
   * sockets, and on the broker's ends of them (null when not visible: broker not on local
   * loopback). null when not sampled (not Linux).
   */
  queues: { harnessMeanBytes: number; peerMeanBytes: number | null } | null;
  /** CPU time of the harness process over the run, in cores (1 = one core fully), and its thread count. */
  cpuCores?: { used: number; threads: number };
}

export interface LimitDiagnosis {
  limitedBy: LimitedBy;
  /** True when the harness limited the run or distorted its latencies: do not gate on it. */
  harnessSaturated: boolean;
  /** Why the harness is to blame (empty unless harnessSaturated). */
  saturationReasons: string[];
  /** One sentence per piece of evidence that decided `limitedBy`. */
  evidence: string[];
}

export function diagnoseLimit(inputs: LimitInputs): LimitDiagnosis {
  const rateLimited = inputs.requestedRatePerSecond > 0;
  const busy = inputs.eventLoopUtilization > EVENT_LOOP_UTILIZATION_LIMIT;
  const q = inputs.queues;
  const harnessKb = q ? Math.round(q.harnessMeanBytes / 1024) : 0;
  const peerKb = q?.peerMeanBytes != null ? Math.round(q.peerMeanBytes / 1024) : null;
  const dominates = (mine: number, theirs: number): boolean =>
    mine >= QUEUE_MIN_BYTES && mine >= QUEUE_DOMINANCE * theirs;
  const backlog = q !== null && dominates(q.harnessMeanBytes, q.peerMeanBytes ?? 0);
  const peerBacklog = q !== null && q.peerMeanBytes !== null && dominates(q.peerMeanBytes, q.harnessMeanBytes);
  const unread =
    q === null
      ? 'socket queues not sampled'
      : `unread bytes waiting on average: ${harnessKb} KB at the harness, ${peerKb === null ? 'not visible' : `${peerKb} KB`} at the broker`;
  const peerUnread = `the broker's sockets held most of the unread data (${unread})`;
  const share = inputs.backpressureShare;
  const elu = `harness event loop busy ${pct(inputs.eventLoopUtilization)}`;
  const waited =
    share === null
      ? `publisher windows full ${inputs.windowFullCount} time(s)`
      : `publishers waited on broker backpressure ${pct(share)} of the send phase`;

  let limitedBy: LimitedBy;
  const evidence: string[] = [];
  const reasons: string[] = [];
  // Publish only: nothing can fall behind on the receiving side.
  const receiving = inputs.receivedPerGroupPerSecond !== null;
  const received = inputs.receivedPerGroupPerSecond ?? inputs.achievedRatePerSecond;
  const achieved = `confirmed ${Math.round(inputs.achievedRatePerSecond)} msg/s`;
  const pushedBack = share === null ? inputs.windowFullCount > 0 : share >= BACKPRESSURE_SHARE_LIMITED;
  // Messages were accepted faster than they arrived: the backlog is in the path (broker queues, forwarder), unless it sits in the harness's own sockets.
  const receiveBehind = receiving && received < inputs.achievedRatePerSecond * RECEIVE_BEHIND_SHARE;
  const behindText = `messages arrived at ${Math.round(received)} msg/s per subscriber while ${achieved}`;
  if (rateLimited) {
    const requested = inputs.requestedRatePerSecond;
    const onSchedule = requested * ACHIEVED_RATE_MIN_SHARE;
    const sentRate = inputs.sentRatePerSecond ?? inputs.achievedRatePerSecond;
    // The sender's schedule and the broker's confirmations are judged apart: a broker slow to
    // confirm stretches the confirmed rate's window, and that is the system under test's doing.
    const sentKept = sentRate >= onSchedule;
    const kept = sentKept && inputs.achievedRatePerSecond >= onSchedule;
    const keptText = `${achieved} of the requested ${requested} msg/s`;
    const sentText = `sent ${Math.round(sentRate)} msg/s`;
    if (kept && received >= onSchedule) {
      limitedBy = 'requested-rate';
      evidence.push(
        `${keptText}${receiving ? ` and received ${Math.round(received)} msg/s per subscriber` : ' (publish only)'}: the schedule was kept`,
      );
    } else if (backlog && busy) {
      limitedBy = 'harness';
      reasons.push(
        `${keptText}, received ${Math.round(received)} msg/s; the harness's sockets held most of the unread data (${unread}) while the ${elu}: the harness could not read fast enough`,
      );
    } else if (kept) {
      limitedBy = 'system-under-test';
      evidence.push(`${keptText} but ${behindText} (${unread}): the system under test fell behind`);
    } else if (sentKept) {
      limitedBy = 'system-under-test';
      evidence.push(
        `${sentText} on schedule but ${keptText} (${waited}): the broker confirmed slower than the sender published, so the system under test fell behind`,
      );
    } else if (pushedBack || peerBacklog) {
      limitedBy = 'system-under-test';
      evidence.push(`${keptText}; ${peerBacklog ? peerUnread : `${waited} (${unread})`}: the broker set the pace`);
    } else {
      limitedBy = 'harness';
      reasons.push(
        `${sentText} and ${keptText} while the broker was not pushing back (${waited}): the sender could not keep the schedule`,
      );
    }
    const sendDelay = inputs.sendDelayP99Us;
    const sendDelayShare = sendDelay !== null && inputs.latencyP99Us > 0 ? sendDelay / inputs.latencyP99Us : 0;
    if (
      sendDelay !== null &&
      sendDelay > SEND_DELAY_P99_LIMIT_US &&
      sendDelayShare >= EVENT_LOOP_LAG_LATENCY_SHARE &&
      !pushedBack &&
      limitedBy !== 'harness'
    ) {
      reasons.push(
        `send delay p99 was ${sendDelay} µs (limit ${SEND_DELAY_P99_LIMIT_US} µs, ${pct(Math.min(1, sendDelayShare))} of the latency p99) while the broker was not pushing back (${waited}): ` +
          'the sender fell behind its schedule, so the latency from the intended send time includes the harness',
      );
    }
  } else if (backlog && busy) {
    limitedBy = 'harness';
    reasons.push(
      `the harness's sockets held most of the unread data (${unread}) while the ${elu}: the harness could not read as fast as the broker delivered`,
    );
  } else if (peerBacklog) {
    limitedBy = 'system-under-test';
    evidence.push(`${peerUnread}: the broker set the pace`);
  } else if (receiveBehind) {
    limitedBy = 'system-under-test';
    evidence.push(`${behindText} (${unread}): the backlog waited in the system under test, not in the harness`);
  } else if (share !== null && share >= BACKPRESSURE_SHARE_UNLIMITED) {
    limitedBy = 'system-under-test';
    evidence.push(`${waited} (${unread}): the broker set the pace`);
  } else if (!busy) {
    limitedBy = 'system-under-test';
    evidence.push(`the harness had idle time (${elu}; ${waited}): it was not the bottleneck`);
  } else {
    limitedBy = 'harness';
    reasons.push(
      `${elu} while ${share === null ? 'its publishers' : `publishers were free to send ${pct(1 - share)} of the time`} and messages arrived as fast as they were confirmed: the harness could not publish faster (CPU-bound)`,
    );
  }

  const lagShare = inputs.latencyP99Us > 0 ? (inputs.eventLoopLagP99Ms * 1000) / inputs.latencyP99Us : 1;
  if (inputs.eventLoopLagP99Ms > EVENT_LOOP_LAG_P99_LIMIT_MS && lagShare >= EVENT_LOOP_LAG_LATENCY_SHARE) {
    reasons.push(
      `harness event-loop lag p99 was ${inputs.eventLoopLagP99Ms} ms (limit ${EVENT_LOOP_LAG_P99_LIMIT_MS} ms, ` +
        `${pct(Math.min(1, lagShare))} of the latency p99): latencies include harness queueing`,
    );
  }
  const starved =
    inputs.cpuCores && busy
      ? inputs.cpuCores.used / inputs.cpuCores.threads < CPU_STARVED_SHARE * inputs.eventLoopUtilization
      : false;
  if (starved && inputs.cpuCores) {
    const note =
      `the harness got ${Math.round(inputs.cpuCores.used * 100)}% of a core over ${inputs.cpuCores.threads} thread(s) while its event loop was busy ` +
      `${pct(inputs.eventLoopUtilization)}: other processes held the CPU (an overloaded machine, not a slow harness)`;
    (reasons.length > 0 ? reasons : evidence).push(note);
  }
  return { limitedBy, harnessSaturated: reasons.length > 0, saturationReasons: reasons, evidence };
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
