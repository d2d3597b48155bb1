import { nowUs } from './clock.js';
import type { LoadWorker, WorkerStatus } from './worker/types.js';

export type DrainOutcome = 'complete' | 'idle' | 'max' | 'aborted';

export interface DrainReport {
  /** complete: everything confirmed arrived and nothing is in flight; idle: no progress for drainIdleMs; max: drainMaxMs reached. */
  outcome: DrainOutcome;
  waitedMs: number;
  /** Confirmed deliveries still missing when the drain ended. */
  missingAtEnd: number;
  /** Publishes still unconfirmed when the drain ended. */
  inflightAtEnd: number;
}

/**
 * Sums the workers' counters. One worker knows exactly which confirmed
 * deliveries are missing; across workers (publishers in one, subscribers in
 * another) it is estimated as confirmed × groups − unique receipts, which is
 * exact unless a failed publish was delivered anyway or shared-subscription
 * members in different workers got the same message (then the drain may end
 * a little early; the final counters are exact either way).
 */
export function sumStatus(statuses: readonly WorkerStatus[], groups: number): WorkerStatus {
  const totals: WorkerStatus = {
    published: 0,
    confirmed: 0,
    failed: 0,
    receivedKnown: 0,
    received: 0,
    inflight: 0,
    missing: 0,
    lastProgressUs: 0,
    lastPublishUs: 0,
    connectionsLost: 0,
    ackStall: null,
  };
  for (const s of statuses) {
    totals.published += s.published;
    totals.confirmed += s.confirmed;
    totals.failed += s.failed;
    totals.receivedKnown += s.receivedKnown;
    totals.received += s.received;
    totals.inflight += s.inflight;
    totals.connectionsLost += s.connectionsLost;
    totals.ackStall ??= s.ackStall;
    totals.lastProgressUs = Math.max(totals.lastProgressUs, s.lastProgressUs);
    totals.lastPublishUs = Math.max(totals.lastPublishUs, s.lastPublishUs);
  }
  const only = statuses.length === 1 ? statuses[0] : undefined;
  totals.missing = only ? only.missing : Math.max(0, totals.confirmed * groups - totals.receivedKnown);
  return totals;
}

export interface DrainLimits {
  idleMs: number;
  maxMs: number;
  pollMs: number;
  signal?: AbortSignal;
  /** A sharded run: the other shards' publishers also send to this shard's receiver groups. */
  peers?: DrainPeers;
}

/** The other shards of a sharded run, as the drain sees them (helpers/load/shard). */
export interface DrainPeers {
  /** This shard's publishers are done (nothing in flight, or the drain ended): their confirmed publishes. Called once. */
  reportSent(confirmed: number): void;
  /** Confirmed publishes of every other shard, once all of them reported; null before. */
  othersConfirmed(): number | null;
}

/**
 * Waits until every confirmed message reached every receiver group and
 * nothing is in flight, or until no confirmation or receipt was seen for
 * `idleMs`, or `maxMs` passed, asking the workers every `pollMs`.
 */
export async function drainWorkers(
  workers: readonly LoadWorker[],
  groups: number,
  limits: DrainLimits,
): Promise<DrainReport> {
  const startUs = nowUs();
  const { peers } = limits;
  let reported = false;
  // A shard's drain may begin while other shards still send (a shard without publishers drains
  // from the start): drainMaxMs counts from when every other shard reported its end of sending.
  let maxFromUs = peers ? Number.POSITIVE_INFINITY : startUs;
  let outcome: DrainOutcome;
  let totals: WorkerStatus;
  let missing: number;
  for (;;) {
    totals = sumStatus(await Promise.all(workers.map((worker) => worker.status())), groups);
    if (peers && !reported && totals.inflight === 0) {
      peers.reportSent(totals.confirmed);
      reported = true;
    }
    missing = peers ? missingWithPeers(totals, groups, peers) : totals.missing;
    const now = nowUs();
    if (peers && maxFromUs === Number.POSITIVE_INFINITY && peers.othersConfirmed() !== null) maxFromUs = now;
    if (limits.signal?.aborted) {
      outcome = 'aborted';
      break;
    }
    if (missing === 0 && totals.inflight === 0) {
      outcome = 'complete';
      break;
    }
    if (now - Math.max(totals.lastProgressUs, startUs) >= limits.idleMs * 1000) {
      outcome = 'idle';
      break;
    }
    if (now - maxFromUs >= limits.maxMs * 1000) {
      outcome = 'max';
      break;
    }
    await sleep(limits.pollMs, limits.signal);
  }
  if (peers && !reported) peers.reportSent(totals.confirmed);
  return {
    outcome,
    waitedMs: ms(nowUs() - startUs),
    // Other shards that never reported: the deliveries known to be missing here.
    missingAtEnd: Number.isFinite(missing) ? missing : totals.missing,
    inflightAtEnd: totals.inflight,
  };
}

/**
 * Deliveries still missing in this shard's groups, counting every shard's publishers: estimated as
 * (confirmed here + confirmed elsewhere) × groups − unique receipts, like sumStatus across threads.
 * Unknown (Infinity) until every other shard reported how many it confirmed.
 */
function missingWithPeers(totals: WorkerStatus, groups: number, peers: DrainPeers): number {
  if (groups === 0) return 0;
  const others = peers.othersConfirmed();
  if (others === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, (totals.confirmed + others) * groups - totals.receivedKnown);
}

function sleep(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function ms(us: number): number {
  return Math.round(us / 100) / 10;
}
