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
  let outcome: DrainOutcome;
  let totals: WorkerStatus;
  for (;;) {
    totals = sumStatus(await Promise.all(workers.map((worker) => worker.status())), groups);
    const now = nowUs();
    if (limits.signal?.aborted) {
      outcome = 'aborted';
      break;
    }
    if (totals.missing === 0 && totals.inflight === 0) {
      outcome = 'complete';
      break;
    }
    if (now - Math.max(totals.lastProgressUs, startUs) >= limits.idleMs * 1000) {
      outcome = 'idle';
      break;
    }
    if (now - startUs >= limits.maxMs * 1000) {
      outcome = 'max';
      break;
    }
    await sleep(limits.pollMs, limits.signal);
  }
  return {
    outcome,
    waitedMs: ms(nowUs() - startUs),
    missingAtEnd: totals.missing,
    inflightAtEnd: totals.inflight,
  };
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
