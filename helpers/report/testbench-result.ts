/**
 * The structured result every measuring test attaches to itself (vitest `task.meta`). The reporter
 * collects them into report.json; suites assert on the same object they attach, so what the report
 * shows is exactly what was gated.
 */
import type { CpuShares } from '../stats/cpu-shares.js';
import type { LatencySummary } from '../stats/types.js';
import type { GateOutcome, MessageCounters, ResultSubject, SuiteName } from '../model/index.js';

export interface LatencySummaryUs extends LatencySummary {
  /** HdrHistogram V2 compressed base64, µs values; merge with decodeFromCompressedBase64 + add. */
  histogram?: string;
}

/** lost / expected; undefined when nothing was expected (publish-only). */
export function lossRateOf(c: MessageCounters): number | undefined {
  return c.expected > 0 ? c.lost / c.expected : undefined;
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
