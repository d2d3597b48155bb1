/**
 * Hints for broker defaults that distort what `load` measures, each shown only when the figures
 * point to it. The figures behind each were measured against a stock Mosquitto 2.0.11 (Debian 12's
 * package, a config with only a listener) on the 2-core development machine.
 */
import type { LoadResult } from '../load/types.js';
import { count, ms, rate } from '../stats/format.js';

/** Mosquitto's default in-flight window per client (max_inflight_messages). */
const MOSQUITTO_INFLIGHT_WINDOW = 20;
/** Mosquitto's default queue per client (max_queued_messages). */
const MOSQUITTO_QUEUE_LIMIT = 1000;
/**
 * Nagle's algorithm holds a small write until the previous one is acknowledged, and the receiver
 * delays its ACK up to 40 ms: a steady, unsaturated run then shows a p50 of some milliseconds to
 * tens of them, where a broker with TCP_NODELAY shows a fraction of one.
 */
const NAGLE_P50_US = { min: 5_000, max: 60_000 };
/** A run keeps up with its requested rate when each subscriber receives at least this share of it. */
const KEEPING_UP = 0.9;

export function brokerHints(result: LoadResult): string[] {
  const hints: string[] = [];
  const { workload, counters: c, latency, throughput } = result;
  const groups = c.receiverGroups;
  if (groups === 0) return hints;

  const p50 = latency.endToEnd.p50;
  const steady =
    workload.ratePerSecond > 0 && throughput.receivedPerSecond / groups >= KEEPING_UP * workload.ratePerSecond;
  if (
    workload.qos === 0 &&
    steady &&
    latency.endToEnd.count > 0 &&
    p50 >= NAGLE_P50_US.min &&
    p50 <= NAGLE_P50_US.max
  ) {
    hints.push(
      `p50 latency ${ms(p50)} ms at a steady ${rate(workload.ratePerSecond)} msg/s QoS 0 is the mark of Nagle's algorithm on the broker's sockets: small writes wait for the previous one's TCP acknowledgement. A stock Mosquitto does this without "set_tcp_nodelay true" (measured: p50 ≈ 20 ms at 1,000 msg/s QoS 0 with 1 KB payloads; 0.13 ms with it). Set it, or its equivalent on your broker, if your deployment does.`,
    );
  }

  if (c.lostAcknowledged === 0) return hints;
  if (workload.qos === 2 && c.received === MOSQUITTO_INFLIGHT_WINDOW * groups) {
    hints.push(
      `each subscriber received exactly ${MOSQUITTO_INFLIGHT_WINDOW} QoS 2 messages and then nothing: Mosquitto 2.0.11 (Debian 12's package) stalls QoS 2 deliveries behind a full in-flight window (max_inflight_messages, ${MOSQUITTO_INFLIGHT_WINDOW} by default) and never resumes them; later 2.0.x releases fix it. The loss is real: the broker confirmed ${count(c.sent)} publishes with PUBCOMP and delivered ${count(c.received / groups)} per subscriber, so it is reported as lost. Raising max_queued_messages does not help; "max_inflight_messages 0" (no window) or a newer Mosquitto does.`,
    );
  } else if (workload.qos === 2) {
    hints.push(
      `the broker confirmed QoS 2 publishes (PUBCOMP) it never delivered (${count(c.lostAcknowledged)}). On Mosquitto 2.0.11 (Debian 12's package) QoS 2 deliveries can stall behind a full in-flight window (max_inflight_messages, ${MOSQUITTO_INFLIGHT_WINDOW} by default; fixed in later 2.0.x), and a stock Mosquitto also drops QoS 1/2 messages beyond ${count(MOSQUITTO_QUEUE_LIMIT)} queued per client (max_queued_messages). Either is loss, and is reported as such.`,
    );
  } else if (workload.qos === 1 && c.attempted > MOSQUITTO_QUEUE_LIMIT) {
    hints.push(
      `the broker acknowledged ${count(c.lostAcknowledged)} publishes (PUBACK) it never delivered. A stock Mosquitto keeps at most ${count(MOSQUITTO_QUEUE_LIMIT)} QoS 1/2 messages queued per client (max_queued_messages) and drops the rest: compare brokers under the limits you deploy (the suites configure "max_queued_messages 1000000"), or publish slower (--rate, --inflight).`,
    );
  }
  return hints;
}
