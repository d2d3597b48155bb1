/**
 * Result types of the stats layer. All latency values are integer microseconds
 * measured on the local monotonic clock (see helpers/load/clock.ts).
 */

/** Percentile summary of one HDR histogram; every value in µs. `count: 0` means nothing was recorded. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
}

/** A summary plus the histogram itself (HdrHistogram V2 compressed base64), so runs merge exactly. */
export interface LatencyReport extends LatencySummary {
  unit: 'us';
  histogram: string;
}

/** One period (normally one second) of a load run, OMB `PeriodStats` style. */
export interface PeriodStats {
  /** Offset of the period start from the start of publishing. */
  startMs: number;
  durationMs: number;
  /** Publishes issued in the period. */
  published: number;
  /** Publishes confirmed by the client (written for QoS 0, PUBACK / PUBCOMP for QoS 1 / 2). */
  confirmed: number;
  /** Unique messages received (summed over receiver groups). */
  received: number;
  publishFailed: number;
  publishRate: number;
  confirmRate: number;
  receiveRate: number;
  /** Confirmed deliveries not yet received at the end of the period. */
  backlog: number;
  /** Publishes issued but not yet confirmed or failed, at the end of the period. */
  inflight: number;
  endToEndP50Us: number | null;
  endToEndP99Us: number | null;
  publishConfirmP99Us: number | null;
  /** Share of the period the harness event loop was busy (0..1). */
  eventLoopUtilization: number;
}

/** Self-diagnosis of the harness: can the numbers of this run be trusted? */
export interface HarnessDiagnostics {
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  /** Share of the run the harness event loop was busy (0..1). */
  eventLoopUtilization: number;
  /** In-flight limit per publisher (QoS 1/2 unacknowledged, QoS 0 unwritten). */
  inflightLimit: number;
  maxInflightReached: number;
  /**
   * Backpressure episodes: a publisher with a due message found its in-flight window
   * full, or its socket took ≥ 2 ms to drain (the broker was not keeping up).
   */
  windowFullCount: number;
  /** Largest backlog (confirmed deliveries not yet received) at a period end. */
  maxBacklog: number;
  /** Largest socket write buffer seen on a publisher (QoS 0 backpressure), bytes. */
  maxSocketBufferedBytes: number;
  /** Total requested rate, 0 = unlimited. */
  requestedRatePerSecond: number;
  /** Confirmed publishes per second over the measured window. */
  achievedRatePerSecond: number;
  /** Latencies that came out negative (clock mix-up) and were recorded as 0. */
  negativeLatencyCount: number;
  reconnects: { publishers: number; subscribers: number };
  harnessSaturated: boolean;
  saturationReasons: string[];
}
