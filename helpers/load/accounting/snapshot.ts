import { ReceiveTracker } from './receive-tracker.js';
import { SendLedger } from './send-ledger.js';
import { SequenceBitset } from './sequence-bitset.js';

/**
 * JSON form of the accounting state, so workers (threads, processes) can ship
 * it to one place and merge it exactly: bitsets are base64, nothing is averaged.
 */
export interface AccountingSnapshot {
  ledgers: LedgerSnapshot[];
  groups: GroupSnapshot[];
}

export interface LedgerSnapshot {
  publisherId: string;
  attempted: number;
  confirmed: string;
  failed: string;
}

export interface GroupSnapshot {
  groupId: string;
  corrupted: number;
  foreign: number;
  reparsed: number;
  publishers: ReceiptsSnapshot[];
}

export interface ReceiptsSnapshot {
  publisherId: string;
  received: string;
  duplicates: number;
  reordered: number;
  highestSeq: number;
}

export interface AccountingState {
  ledgers: SendLedger[];
  trackers: ReceiveTracker[];
}

export function snapshotAccounting(state: AccountingState): AccountingSnapshot {
  return {
    ledgers: state.ledgers.map((ledger) => ({
      publisherId: ledger.publisherId,
      attempted: ledger.attempted,
      confirmed: ledger.confirmed.toBase64(),
      failed: ledger.failed.toBase64(),
    })),
    groups: state.trackers.map((tracker) => ({
      groupId: tracker.groupId,
      corrupted: tracker.corrupted,
      foreign: tracker.foreign,
      reparsed: tracker.reparsed,
      publishers: [...tracker.publishers()].map(([publisherId, receipts]) => ({
        publisherId,
        received: receipts.received.toBase64(),
        duplicates: receipts.duplicates,
        reordered: receipts.reordered,
        highestSeq: receipts.highestSeq,
      })),
    })),
  };
}

export function restoreAccounting(snapshot: AccountingSnapshot): AccountingState {
  return {
    ledgers: snapshot.ledgers.map((item) => {
      const ledger = new SendLedger(
        item.publisherId,
        SequenceBitset.fromBase64(item.confirmed),
        SequenceBitset.fromBase64(item.failed),
      );
      ledger.attempted = item.attempted;
      return ledger;
    }),
    trackers: snapshot.groups.map((group) => {
      const tracker = new ReceiveTracker(group.groupId);
      tracker.corrupted = group.corrupted;
      tracker.foreign = group.foreign;
      tracker.reparsed = group.reparsed;
      for (const item of group.publishers) {
        tracker.setReceipts(item.publisherId, {
          received: SequenceBitset.fromBase64(item.received),
          duplicates: item.duplicates,
          reordered: item.reordered,
          highestSeq: item.highestSeq,
        });
      }
      return tracker;
    }),
  };
}

/**
 * Exact merge of several workers' accounting. Ledgers of the same publisher id
 * are united; trackers of the same group id (members of one shared
 * subscription spread over workers) are merged with cross-worker duplicates
 * counted; distinct groups stay distinct.
 */
export function mergeAccounting(snapshots: readonly AccountingSnapshot[]): AccountingState {
  const ledgers = new Map<string, SendLedger>();
  const trackers = new Map<string, ReceiveTracker>();
  for (const snapshot of snapshots) {
    const state = restoreAccounting(snapshot);
    for (const ledger of state.ledgers) {
      const existing = ledgers.get(ledger.publisherId);
      if (existing) existing.mergeFrom(ledger);
      else ledgers.set(ledger.publisherId, ledger);
    }
    for (const tracker of state.trackers) {
      const existing = trackers.get(tracker.groupId);
      if (existing) existing.mergeFrom(tracker);
      else trackers.set(tracker.groupId, tracker);
    }
  }
  return { ledgers: [...ledgers.values()], trackers: [...trackers.values()] };
}
