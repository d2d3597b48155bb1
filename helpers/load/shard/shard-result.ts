/**
 * A shard's result: the engine's LoadResult with the full accounting snapshot (every receipt, of
 * every shard's publishers, for the merge), counters restricted to this shard's own publishers
 * (another shard's publishers have no ledger here, so their messages would count as "unexpected"),
 * and the `shard` block the merge checks and combines.
 */
import { computeCounters, ReceiveTracker, sampleLost, type AccountingState } from '../accounting/index.js';
import type { LoadError } from '../error-log.js';
import type { LoadResult } from '../types.js';
import type { WorkerReport } from '../worker/types.js';
import type { ShardPlan } from './shard-plan.js';
import type { ShardMeasured, ShardSyncReport } from './types.js';

export function shardResult(
  result: LoadResult,
  inputs: { plan: ShardPlan; accounting: AccountingState; reports: readonly WorkerReport[]; sync: ShardSyncReport },
): LoadResult {
  const { plan, sync } = inputs;
  const own = ownView(inputs.accounting, plan);
  const syncErrors: LoadError[] = sync.errors.map((message) => ({
    source: 'run',
    clientId: `shard-${plan.index}`,
    message,
    count: 1,
    firstAtMs: 0,
  }));
  return {
    ...result,
    clock: 'wall-aligned',
    counters: computeCounters(own.ledgers, own.trackers),
    lostSamples: sampleLost(own.ledgers, own.trackers),
    errors: [...result.errors, ...syncErrors],
    shard: {
      index: plan.index,
      count: plan.count,
      runId: plan.runId,
      publishers: plan.publishers,
      subscribers: plan.subscribers,
      sync,
      measured: measuredOf(inputs.reports),
      countersScope: 'own-publishers',
    },
  };
}

/** Ledgers of this shard's publishers, and receipts without those of other shards' publishers. */
function ownView(state: AccountingState, plan: ShardPlan): AccountingState {
  const ownId = (i: number): string => `${plan.runTag}-${i}`;
  const own = new Set<string>();
  for (let i = plan.publishers.start; i < plan.publishers.end; i++) own.add(ownId(i));
  const runPublisher = new Set(state.ledgers.map((ledger) => ledger.publisherId));
  const trackers = state.trackers.map((tracker) => {
    const view = new ReceiveTracker(tracker.groupId);
    view.corrupted = tracker.corrupted;
    view.foreign = tracker.foreign;
    view.reparsed = tracker.reparsed;
    for (const [publisherId, receipts] of tracker.publishers())
      if (own.has(publisherId) || !runPublisher.has(publisherId)) view.setReceipts(publisherId, receipts);
    return view;
  });
  return { ledgers: state.ledgers.filter((ledger) => own.has(ledger.publisherId)), trackers };
}

function measuredOf(reports: readonly WorkerReport[]): ShardMeasured {
  const starts = reports.map((r) => r.measured.firstSendUs).filter((us): us is number => us !== null);
  const sum = (pick: (m: WorkerReport['measured']) => number): number =>
    reports.reduce((total, r) => total + pick(r.measured), 0);
  return {
    firstSendUs: starts.length > 0 ? Math.min(...starts) : null,
    lastConfirmUs: Math.max(0, ...reports.map((r) => r.measured.lastConfirmUs)),
    confirmed: sum((m) => m.confirmed),
    confirmedBytes: sum((m) => m.confirmedBytes),
    lastReceiveUs: Math.max(0, ...reports.map((r) => r.measured.lastReceiveUs)),
    received: sum((m) => m.received),
    receivedBytes: sum((m) => m.receivedBytes),
  };
}
