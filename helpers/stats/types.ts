import type { LimitedBy } from './saturation.js';

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
  /** Share of the send phase the busiest harness event loop was busy (0..1). */
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
  /**
   * New QoS 2 PUBLISHes the broker sent under a packet id still awaiting PUBREL: a protocol
   * violation (Mosquitto 2.0.11 does it once more than 65,535 QoS 2 messages wait for one
   * subscriber). Counted by the lean client only; 0 with mqtt.js.
   */
  packetIdReuses: number;
  /** Total requested rate, 0 = unlimited. */
  requestedRatePerSecond: number;
  /** Confirmed publishes per second over the measured window. */
  achievedRatePerSecond: number;
  /** Latencies that came out negative (clock mix-up) and were recorded as 0. */
  negativeLatencyCount: number;
  reconnects: { publishers: number; subscribers: number };
  /** True only when the harness itself limited the run (or distorted its latencies): untrustworthy, never gated. */
  harnessSaturated: boolean;
  saturationReasons: string[];
  /** Who set the pace: the requested rate, the system under test, or the harness (then harnessSaturated is true). */
  limitedBy: LimitedBy;
  /** The evidence behind `limitedBy` when the harness was not to blame. */
  limitEvidence: string[];
  /** Share of publisher time in the send phase spent waiting on broker backpressure (window full, socket not draining); null without publishers. */
  backpressureShare: number | null;
  /** Publisher time waiting, ms summed over publishers: window full, socket not draining, disconnected. */
  blockedMs: { window: number; socket: number; offline: number };
  /** Kernel receive queues of the harness's sockets and their broker ends during the send phase; null where not sampled. */
  socketQueues: SocketQueueReport | null;
  /** One entry per harness thread (a single "mixed" one without worker threads). Utilisation and lag over the send phase. */
  threads: ThreadDiagnostics[];
  workers: { requested: number | 'auto'; used: number; kind: 'local' | 'threads' };
  /** MQTT client implementation of the run's connections, and why (workload `client`). */
  client: { requested: 'auto' | 'lean' | 'mqtt.js'; used: 'lean' | 'mqtt.js'; reason: string };
  /** Send loop schedule of rate-limited runs (see the workload's sendSchedule). */
  sendSchedule: 'timer' | 'immediate';
  /** CPU time of the harness process (all its threads) from the start of sending to the end of the drain. */
  cpu: { userMs: number; systemMs: number; wallMs: number; shareOfOneCore: number; cores: number };
  /** Memory of the harness process: RSS before connecting, the highest RSS and heap (summed over threads) seen. */
  memory: { rssBeforeConnectBytes: number; rssMaxBytes: number; heapUsedMaxBytes: number };
}

export interface ThreadDiagnostics {
  role: 'mixed' | 'publishers' | 'subscribers';
  publishers: number;
  subscribers: number;
  eventLoopUtilization: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
}

/** Unread bytes in the TCP receive queues of a load run's connections (sampled by helpers/load/socket-queues.ts). */
export interface SocketQueueReport {
  samples: number;
  /** Harness sockets found in the last sample. */
  sockets: number;
  /** Broker-side ends of the harness's connections found in the last sample (0 unless the broker is local). */
  peerSockets: number;
  /** Unread bytes on the harness's sockets, summed per sample. */
  harnessRxMeanBytes: number;
  harnessRxMaxBytes: number;
  /** Share of samples with ≥ SOCKET_BACKLOG_BYTES (load/socket-queues.ts) unread on the harness side. */
  harnessRxBackloggedShare: number;
  /** Unread bytes on the broker's ends of the same connections, summed per sample. */
  peerRxMeanBytes: number;
  peerRxMaxBytes: number;
  peerRxBackloggedShare: number;
}
