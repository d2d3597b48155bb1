/**
 * The structured result every measuring test attaches to itself (vitest `task.meta`). The reporter
 * collects them into report.json; suites assert on the same object they attach, so what the report
 * shows is exactly what was gated.
 */
import type { CpuShares } from '../stats/cpu-meter.js';

export type SuiteName =
  'smoke' | 'qos-matrix' | 'retain' | 'clean-session' | 'forwarding-loss' | 'faults' | 'load' | 'security' | 'micro';

/** What a result is about: one broker, or a forwarding topology. */
export type ResultSubject =
  | { kind: 'broker'; target: string; runtime: string; version: string }
  | {
      kind: 'topology';
      id: string;
      downstream: string;
      upstream: string;
      forwarder: string;
      runtime: string;
      versions: { downstream: string; upstream: string };
    };

export interface LatencySummaryUs {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
  /** HdrHistogram V2 compressed base64, µs values; merge with decodeFromCompressedBase64 + add. */
  histogram?: string;
}

/**
 * Exact message accounting: every figure counted on its own. Every attempted publish ends as
 * received or lost per receiver: `expected = attempted × receivers = received + lost`.
 */
export interface MessageCounters {
  /** Publishes handed to the client. */
  attempted: number;
  /** Publishes the client confirmed (QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP). */
  sent: number;
  /** Publishes that failed or were never confirmed. */
  unconfirmed: number;
  /** attempted × receivers (0 when nothing subscribed: a publish-only run). */
  expected: number;
  /** Distinct (publisher, sequence) received. */
  received: number;
  duplicates: number;
  reordered: number;
  /** Attempted and never received (expected − received), acknowledged or not. */
  lost: number;
  /** Of lost: confirmed by the broker, then never delivered. */
  lostAcknowledged: number;
  /** Of lost: never acknowledged by the broker (no PUBACK/PUBCOMP; QoS 0: never written). */
  lostUnacknowledged: number;
  /** Of lost: the client reported the publish as failed. */
  lostFailed: number;
  /** Failed the integrity check (or arrived without an intact identity header). */
  corrupted: number;
  /** Received although the publish was not confirmed. */
  unconfirmedReceived: number;
}

/** lost / expected; undefined when nothing was expected (publish-only). */
export function lossRateOf(c: MessageCounters): number | undefined {
  return c.expected > 0 ? c.lost / c.expected : undefined;
}

export interface GateOutcome {
  /** e.g. `max loss rate`. */
  name: string;
  /** The measured figure, e.g. `lossRate`. */
  figure: string;
  comparison: '<=' | '>=';
  limit: number;
  measured: number;
  unit: string;
  passed: boolean;
  /** Where the limit came from (fixture file and key, or an override). */
  source: string;
  /**
   * A timing gate that failed while the harness was saturated and the system under test did not
   * take the CPU: why its failure cannot be blamed on the system under test.
   */
  inconclusive?: string;
}

/** One cell of a QoS matrix: what was published, subscribed, expected and observed on the wire. */
export interface QosCell {
  path: 'direct' | 'forwarded';
  protocolVersion: 4 | 5;
  publishQos: 0 | 1 | 2;
  subscribeQos: 0 | 1 | 2;
  expectedQos: 0 | 1 | 2;
  /** Delivered QoS values read from the received PUBLISH packets (distinct values seen). */
  observedQos: number[];
  /** How the expectation was derived, e.g. `min(pub, granted)` or `min(reference: QoS preserved → 2, granted)`. */
  expectation: string;
  counters: MessageCounters;
  /** QoS the SUBACK granted (null: the cell did not get that far; absent in reports of older versions). */
  grantedQos?: number | null;
  /**
   * Where the cell departs from the plain reading of the spec because of what a broker documents:
   * a grant below the requested QoS (its documented choice), or a declared deviation and what it
   * means for the cell (e.g. skipped).
   */
  annotations?: QosCellAnnotation[];
}

export interface QosCellAnnotation {
  kind: 'documented-choice' | 'declared-deviation';
  text: string;
  /** Link to where the broker documents it. */
  source: string;
}

/** `inconclusive`: a timing gate failed while the harness was saturated by itself or by other work (see GateOutcome). */
export type Verdict = 'pass' | 'fail' | 'skip' | 'inconclusive';

export interface TestbenchResult {
  suite: SuiteName;
  /** Scenario within the suite, e.g. `heavy`, `late subscriber gets retained`. */
  scenario: string;
  subject: ResultSubject;
  protocolVersion?: 4 | 5;
  qos?: 0 | 1 | 2;
  /**
   * What else distinguishes this result from others with the same suite, scenario, subject,
   * protocol and QoS (e.g. the route: `pass` or `event`). Part of the key that repeats, merged
   * reports and baselines match results by.
   */
  variant?: string;
  counters?: MessageCounters;
  /** Latency from the actual send time (end to end). */
  latency?: LatencySummaryUs;
  /** Latency from the intended send time (rate-limited scenarios: no coordinated omission). */
  latencyFromIntended?: LatencySummaryUs;
  /** Actual minus intended send time. */
  sendDelay?: LatencySummaryUs;
  throughput?: { publishPerSec: number; receivePerSec: number; durationMs: number };
  /** Per-second series for plots. */
  periods?: PeriodPoint[];
  gates?: GateOutcome[];
  qosCell?: QosCell;
  /** Behaviour observed, as key → value (e.g. `retainFlagOnLateSubscribe: true`). */
  observations?: Record<string, string | number | boolean | null>;
  /** Which documented choice the assertion followed (e.g. `mosquitto: QoS 0 not queued offline`). */
  expectations?: string[];
  /** The harness's own health; a saturated harness makes a result untrustworthy. */
  diagnostics?: {
    harnessSaturated: boolean;
    reasons: string[];
    eventLoopLagP99Ms?: number;
    eventLoopLagMaxMs?: number;
    /** Who used the CPU while the scenario measured (harness, system under test, others). */
    cpu?: CpuShares;
  };
  /** Why the timing verdict is inconclusive (see GateOutcome.inconclusive); absent when it is not. */
  inconclusive?: string;
  notes?: string[];
}

export interface PeriodPoint {
  /** Seconds since the measured window started. */
  t: number;
  publishPerSec: number;
  receivePerSec: number;
  backlog: number;
  p50Us?: number;
  p99Us?: number;
}
