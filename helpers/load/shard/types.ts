/**
 * The data of sharded runs: what runLoad needs to run one shard (ShardRunOptions), what a shard's
 * result carries for the merge (ShardReport), and what the merged result says about the shards
 * (ShardsSummary). All times are µs on the engine's clock, which sharded runs put on the wall-clock
 * timeline (helpers/load/clock.ts), so they compare across machines up to the measured skew.
 */
import type { DrainPeers } from '../drain.js';
import type { IndexRange, ShardId } from './shard-plan.js';

export interface ShardRunOptions extends ShardId {
  /** The same in every shard of the run: publisher ids, client ids and the share group derive from it. */
  runId: string;
  sync: ShardSync;
}

/** How a shard meets the others: the common start, the end of sending, the clock comparison. */
export interface ShardSync extends DrainPeers {
  /** Called once this shard's clients are all connected; resolves at the common send start with that time (µs). */
  awaitStart(signal?: AbortSignal): Promise<number>;
  /** What the synchronisation observed, for the shard's result. */
  report(): ShardSyncReport;
  /** Closes the control connection (idempotent). */
  close(): Promise<void>;
}

export interface ClockOffset {
  /** This shard's clock minus shard 1's (µs), from the round trip with the smallest delay. */
  offsetUs: number;
  /** That round trip (µs): the estimate is off by at most half of it. */
  rttUs: number;
  samples: number;
}

export interface ShardSyncReport {
  /** "barrier": every shard ready, then a short margin; "start-at": the --start-at time, after the barrier. */
  startMode: 'single' | 'barrier' | 'start-at';
  /** The common send start (µs on the wall-clock timeline) and as ISO time. */
  startUs: number;
  startAt: string;
  /** How long this shard waited for the others and the start after its clients connected (ms). */
  waitedMs: number;
  /** How late this shard began sending after the common start (ms; 0 = on time). */
  lateMs: number;
  /** Offset to shard 1; null for shard 1 itself, for a single shard, or when no pong came back. */
  clock: ClockOffset | null;
  /** Shards whose control connection dropped during the run (the broker published their will). */
  lostShards: number[];
  /** Problems of the synchronisation (late start, lost shards, missing clock measurement). */
  errors: string[];
}

/** Raw throughput figures of a shard, so the merge computes rates over the union of the windows. */
export interface ShardMeasured {
  firstSendUs: number | null;
  lastConfirmUs: number;
  confirmed: number;
  confirmedBytes: number;
  lastReceiveUs: number;
  received: number;
  receivedBytes: number;
}

/** What a shard's result says about the shard (LoadResult.shard). */
export interface ShardReport extends ShardId {
  runId: string;
  /** Global indices of this shard's clients. */
  publishers: IndexRange;
  subscribers: IndexRange;
  sync: ShardSyncReport;
  measured: ShardMeasured;
  /** The result's `counters` cover this shard's publishers as seen by this shard's subscribers; the merge counts over all shards. */
  countersScope: 'own-publishers';
}

/** What a merged result says about the shards that made it (LoadResult.shards). */
export interface ShardsSummary {
  runId: string;
  count: number;
  /** Shard indices whose results were merged (1-based). */
  merged: number[];
  /** Shards whose harness was saturated (their figures understate the system under test). */
  saturated: number[];
  /** Shards that reported problems (late start, lost peers, errors), with the first problem. */
  warnings: { shard: number; message: string }[];
  start: {
    startMode: ShardSyncReport['startMode'];
    startAt: string;
    /** Latest begin of sending after the common start, over the shards (ms). */
    maxLateMs: number;
  };
  clockSkew: {
    /** Offset of each shard to shard 1 (shard 1 itself: 0); null where not measured. */
    offsetsUs: (number | null)[];
    /** Largest minus smallest offset: how far two shards' clocks are apart (µs). */
    spreadUs: number | null;
    /** Half the largest round trip of the chosen samples: the estimates' error bound (µs). */
    uncertaintyUs: number | null;
  };
}
