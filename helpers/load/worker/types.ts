/**
 * The worker contract (OpenMessaging Benchmark's `Worker`, cut to what an MQTT
 * run needs): the orchestrator (runLoad) hands each worker a share of the
 * clients, drives the phases (subscribers, publishers, send, drain, finish)
 * and merges what the workers report. Everything that crosses the boundary
 * is plain JSON-compatible data, so a worker can live in this thread
 * (LocalWorker), in a worker thread (ThreadWorker), or, later, elsewhere.
 */
import type { IClientOptions } from 'mqtt';
import type { EventLoopReport } from './harness-monitor.js';
import type { AccountingSnapshot } from '../accounting/index.js';
import type { LoadClientKind } from '../client/types.js';
import type { LoadError } from '../error-log.js';
import type { Workload } from '../workload.js';

export type WorkerRole = 'mixed' | 'publishers' | 'subscribers';

/** What one worker runs. Indices are global (publisher i publishes as `<runTag>-<i>`). */
export interface WorkerSpec {
  index: number;
  role: WorkerRole;
  runTag: string;
  workload: Workload;
  publishUrl: string;
  subscribeUrl: string;
  /** The filter as subscribed (already `$share/<group>/...` in shared mode). */
  subscribeFilter: string;
  clientIdPrefix: string;
  connectOptions?: IClientOptions;
  /** The client implementation every connection uses (chosen once per run, see chooseClient). */
  client: LoadClientKind;
  /** This worker's publishers: global index and topic. */
  publishers: { index: number; topic: string }[];
  /** This worker's subscribers (global indices). */
  subscribers: number[];
  /** Receiver groups this worker's subscribers belong to (one per subscriber, or the share group). */
  groupIds: string[];
  /** All publishers of the run, so receipts are recognised as this run's in every worker. */
  totalPublishers: number;
  /** This worker's share of the total rate (0 = unlimited). */
  ratePerSecond: number;
  /** This worker's share of the connection ramp-up rate (0 = none). */
  connectRatePerSecond: number;
}

/** Counters the orchestrator polls (drain, stall watchdog). Cumulative over the run. */
export interface WorkerStatus {
  published: number;
  confirmed: number;
  failed: number;
  /** Unique receipts of this run's messages over this worker's groups. */
  receivedKnown: number;
  received: number;
  inflight: number;
  /** This worker's exact view of confirmed deliveries still missing (exact for a worker that has every client). */
  missing: number;
  lastProgressUs: number;
  lastPublishUs: number;
  /** Clients without reconnect whose connection closed during the run. */
  connectionsLost: number;
  /** The first publisher of this worker whose publishes the broker stopped acknowledging (ackTimeoutMs), if any. */
  ackStall: AckStall | null;
}

/** A publisher that waited ackTimeoutMs for an acknowledgement while connected. */
export interface AckStall {
  clientId: string;
  /** Its publishes outstanding when the stall was declared. */
  outstanding: number;
  waitedMs: number;
}

/** One period of one worker: cumulative totals plus the period's latency histograms (encoded). */
export interface WorkerPeriod {
  status: WorkerStatus;
  /** HdrHistogram V2 base64 of the period's end-to-end latencies, or null when none were recorded. */
  endToEnd: string | null;
  publishConfirm: string | null;
  eventLoopUtilization: number;
  heapUsedBytes: number;
  /** Local ports of the worker's client sockets, when they changed since the previous period. */
  localPorts?: number[];
}

/** Everything a worker measured, frozen at the end of the run. */
export interface WorkerReport {
  index: number;
  role: WorkerRole;
  publishers: number;
  subscribers: number;
  grantedQos: number[];
  plannedMessages: number | null;
  /** Exact accounting (bitsets), merged with mergeAccounting. */
  accounting: AccountingSnapshot;
  /** Cumulative latency histograms, HdrHistogram V2 base64. */
  histograms: {
    endToEnd: string;
    endToEndFromIntended: string | null;
    sendDelay: string | null;
    publishConfirm: string;
  };
  negativeLatencyCount: number;
  measured: {
    firstSendUs: number | null;
    /** Last measured publish handed to a client, and how many were: the rate the sender kept. */
    lastSendUs: number;
    sent: number;
    lastConfirmUs: number;
    confirmed: number;
    confirmedBytes: number;
    lastReceiveUs: number;
    received: number;
    receivedBytes: number;
  };
  maxInflight: number;
  windowFullCount: number;
  maxSocketBufferedBytes: number;
  /** QoS 2 PUBLISHes the broker sent under a packet id still in use (see LoadClient.packetIdReuses). */
  packetIdReuses: number;
  /** Time publishers with a due message waited on backpressure, µs summed over publishers. */
  blockedUs: { window: number; socket: number; offline: number };
  /** Publisher-time of the send phase, µs (publishers × send phase). */
  publisherUs: number;
  reconnects: { publishers: number; subscribers: number };
  eventLoop: EventLoopReport;
  heapUsedMaxBytes: number;
  errors: LoadError[];
  corruptedSamples: string[];
}

/** The phases of a run as the orchestrator drives them. All methods may be called once, in order, except status/period. */
export interface LoadWorker {
  readonly spec: WorkerSpec;
  /** 'local' (this thread) or 'thread' (a worker thread). */
  readonly kind: 'local' | 'thread';
  /** Connects and subscribes this worker's subscribers; returns the granted QoS values. */
  connectSubscribers(): Promise<number[]>;
  connectPublishers(): Promise<void>;
  /** Local ports of the connected clients (for the socket queue sampler). */
  localPorts(): Promise<number[]>;
  /** Publishes on the schedule from `startUs`; resolves when every publisher issued its last message. */
  send(startUs: number): Promise<void>;
  /** Ends the send phase early (stall watchdog). */
  stopSending(): void;
  /** Aborts what is in progress (connects, send phase, waits); the pending call rejects. */
  abort(): void;
  status(): Promise<WorkerStatus>;
  period(): Promise<WorkerPeriod>;
  /**
   * One PINGREQ round trip on every connected client, at most `timeoutMs`: a connection the broker
   * already dropped is then reported as lost before the counters freeze (see run-load).
   */
  confirmConnections(timeoutMs: number): Promise<void>;
  /** Freezes the counters and reports. */
  finish(): Promise<WorkerReport>;
  /** Closes every client (and the thread); safe to call at any time, more than once. */
  close(): Promise<void>;
}
