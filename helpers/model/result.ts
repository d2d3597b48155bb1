/** Result vocabulary that layers below the report share (the load engine's counters, the gates' outcomes). */

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
