/**
 * The boundary of the load engine: what runLoad takes and the one plain,
 * JSON-serialisable object it returns. Suites assert on LoadResult; reporters
 * only serialise it.
 */
import type { IClientOptions } from 'mqtt';
import type { HarnessDiagnostics, LatencyReport, PeriodStats } from '../stats/types.js';
import type { AccountingSnapshot, DeliveryCounters, LostSample } from './accounting/index.js';
import type { DrainReport } from './drain.js';
import type { ShardReport, ShardRunOptions, ShardsSummary } from './shard/types.js';
import type { LoadError } from './error-log.js';
import type { Workload, WorkloadInput } from './workload.js';

export type { HarnessDiagnostics, LatencyReport, LatencySummary, PeriodStats } from '../stats/types.js';
export type { AccountingSnapshot, DeliveryCounters, LostSample } from './accounting/index.js';
export type { DrainOutcome, DrainReport } from './drain.js';
export type { LoadError } from './error-log.js';
export type { Workload, WorkloadInput } from './workload.js';
export type { ShardReport, ShardRunOptions, ShardsSummary } from './shard/types.js';

export interface RunLoadOptions {
  /** Broker the publishers connect to (e.g. the downstream broker of a forwarder). */
  publishUrl: string;
  /** Broker the subscribers connect to (the same broker, or the upstream one). */
  subscribeUrl: string;
  /** Validated here; bad values throw a WorkloadError naming the field. */
  workload: WorkloadInput;
  /** Topic of publisher `publisherIndex` (0-based); no wildcards. */
  topicFor(publisherIndex: number): string;
  /** Filter every subscriber subscribes to; must match every publisher's topic. */
  subscribeFilter: string;
  /** Client ids are `<prefix>-pub-<i>` / `<prefix>-sub-<i>`; make it unique per run. */
  clientIdPrefix: string;
  /** Aborting stops publishing, closes every client and rejects with the abort reason. */
  signal?: AbortSignal;
  /** Called once per period (default every second) while publishing and draining. */
  onPeriod?: (period: PeriodStats) => void;
  /**
   * Ends the send phase when it resolves, before the workload's duration or count is reached
   * (what was published is drained and counted as usual): a caller that knows when it has
   * measured enough, e.g. a fault stream once its tail after the fault was published.
   */
  stopSendingWhen?: Promise<unknown>;
  /**
   * Shows live progress under this label (sent / received / rate / time left), updated once per
   * period; see helpers/load/progress.ts for where it is shown. Omitted: no progress.
   */
  progressLabel?: string;
  /**
   * Extra mqtt.js options for every client (credentials, clean, properties,
   * `reconnectPeriod`: default 0 = no reconnect; fault-injection suites pass
   * e.g. 100 and publishers/subscribers carry on across reconnects).
   * clientId, protocolVersion, queueQoSZero (false) and reschedulePings (false) are always set by the engine.
   */
  connectOptions?: IClientOptions;
  /** Group name for subscriptionMode "shared" ($share/<group>/<filter>). Default: the client id prefix. */
  shareGroup?: string;
  /** Period length of the period series. Default 1000 ms. */
  periodMs?: number;
  /** Add the exact accounting state (bitsets) to the result, for merging several workers' runs. */
  includeAccounting?: boolean;
  /**
   * Run only shard K of N of the workload (helpers/load/shard): its share of publishers and
   * subscribers under the run's common tag, started with the other shards, with the accounting
   * included for `merge --mode workers`. The engine's clock moves to the wall-clock timeline.
   */
  shard?: ShardRunOptions;
}

/** How fast, over the measured window (warm-up excluded). */
export interface ThroughputReport {
  /** Publishes confirmed in the measured window (warm-up excluded): the count behind confirmedPerSecond. */
  confirmed: number;
  /** Unique receipts of measured messages, summed over receiver groups: the count behind receivedPerSecond. */
  received: number;
  /** First measured send → last measured confirmation. */
  confirmWindowMs: number;
  confirmedPerSecond: number;
  confirmedBytesPerSecond: number;
  /** First measured send → last measured receipt. */
  receiveWindowMs: number;
  /** Unique receipts per second, summed over receiver groups. */
  receivedPerSecond: number;
  receivedBytesPerSecond: number;
}

export interface LatencyReports {
  /** Receive − actual send, every measured unique receipt. */
  endToEnd: LatencyReport;
  /** Receive − intended send (no coordinated omission); null when not rate limited. */
  endToEndFromIntended: LatencyReport | null;
  /** Actual − intended send time; null when not rate limited. */
  sendDelay: LatencyReport | null;
  /** Confirmation − send: socket write (QoS 0), PUBACK (QoS 1), PUBCOMP (QoS 2). */
  publishConfirm: LatencyReport;
}

export interface LoadResult {
  schemaVersion: 2;
  /** The validated workload, defaults filled in. */
  workload: Workload;
  /** Random tag of this run; publisher ids in payloads are `<runTag>-<index>`. */
  runTag: string;
  target: {
    publishUrl: string;
    subscribeUrl: string;
    subscribeFilter: string;
    /** Topic of publisher 0. */
    exampleTopic: string;
    clientIdPrefix: string;
    /** Distinct QoS values the broker granted in SUBACK. */
    grantedQos: number[];
  };
  /**
   * monotonic-local: latency is valid with publishers and subscribers on one machine. wall-aligned
   * (sharded runs): stamps on each machine's wall clock, valid across machines up to the measured skew.
   */
  clock: 'monotonic-local' | 'wall-aligned';
  startedAt: string;
  endedAt: string;
  timingsMs: { connect: number; publish: number; drain: number; total: number };
  /** Messages the workload asked for (all publishers, warm-up included); null when unknown (unlimited + duration). */
  plannedMessages: number | null;
  drain: DrainReport;
  counters: DeliveryCounters;
  lostSamples: LostSample[];
  /** First integrity-check failures, with reasons. */
  corruptedSamples: string[];
  latency: LatencyReports;
  throughput: ThroughputReport;
  periods: PeriodStats[];
  diagnostics: HarnessDiagnostics;
  errors: LoadError[];
  /** Present with `includeAccounting: true`. */
  accounting?: AccountingSnapshot;
  /** A shard's result: which shard, how it started, its raw throughput figures. */
  shard?: ShardReport;
  /** A merged result of a sharded run: how many shards ran, saturated ones, start and clock skew. */
  shards?: ShardsSummary;
}
