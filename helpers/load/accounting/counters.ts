import type { MessageCounters } from '../../model/index.js';
import type { ReceiveTracker } from './receive-tracker.js';
import { SequenceBitset } from './sequence-bitset.js';
import type { SendLedger } from './send-ledger.js';

/**
 * Exact delivery accounting. "received" is counted from unique
 * (publisherId, seq) receipts, never derived from "sent minus something".
 * Every count that involves receipts is summed over receiver groups (one per
 * subscriber in "all" mode, one per shared subscription).
 *
 * Every attempted publish ends as received or lost, per group:
 * `expected = attempted × receiverGroups = received + lost`. Lost is split by
 * what the publisher heard back: acknowledged (the broker or forwarder took it
 * and never delivered it), never acknowledged (no PUBACK/PUBCOMP, or never
 * written at QoS 0), or failed (the client reported an error).
 */
export interface DeliveryCounters {
  /** Publishes handed to the client. */
  attempted: number;
  /** Confirmed by the client: QoS 0 written to the socket, QoS 1 PUBACK, QoS 2 PUBCOMP. */
  sent: number;
  /** The client reported an error for the publish. */
  publishFailed: number;
  /** Neither confirmed nor failed when the run ended. */
  unconfirmed: number;
  receiverGroups: number;
  /** attempted × receiverGroups: what every group should have received. */
  expected: number;
  /** Unique (publisherId, seq) receipts of messages this run issued, confirmed or not. */
  received: number;
  /** Attempted and never received (expected − received), whether or not it was confirmed. */
  lost: number;
  /** Lost although confirmed: the broker (or the path behind it) accepted the message and never delivered it. */
  lostAcknowledged: number;
  /** Lost and never acknowledged by the broker (no PUBACK/PUBCOMP; QoS 0: never written). */
  lostUnacknowledged: number;
  /** Lost after the client reported the publish as failed. */
  lostFailed: number;
  /** Receipts of a (publisherId, seq) already received by the same group. */
  duplicates: number;
  /** Unique receipts that arrived after a higher sequence of the same publisher. */
  reordered: number;
  /** Payload had an identity header but failed the integrity check. */
  corrupted: number;
  /** Received although the publish failed or was never acknowledged. */
  unconfirmedButReceived: number;
  /** Payload without an identity header (not ours). */
  foreign: number;
  /** Valid header, but a publisher or sequence this run never issued (e.g. a stale retained message). */
  unexpected: number;
  /** Matched only after re-parsing: the path re-serialised the JSON (not an error). */
  reparsed: number;
  /** lost / expected (0 when nothing was expected). */
  lossRatio: number;
  /** duplicates / received (0 when nothing was received). */
  duplicateRatio: number;
}

export interface LostSample {
  groupId: string;
  publisherId: string;
  /** First lost sequences, ascending. */
  seqs: number[];
}

const LOST_SAMPLE_SEQS = 10;
const LOST_SAMPLE_ENTRIES = 20;

export function computeCounters(ledgers: Iterable<SendLedger>, trackers: readonly ReceiveTracker[]): DeliveryCounters {
  const byId = new Map<string, SendLedger>();
  for (const ledger of ledgers) byId.set(ledger.publisherId, ledger);
  let attempted = 0;
  let sent = 0;
  let publishFailed = 0;
  for (const ledger of byId.values()) {
    attempted += ledger.attempted;
    sent += ledger.confirmed.size;
    publishFailed += ledger.failed.size;
  }
  let received = 0;
  let lostAcknowledged = 0;
  let lostFailed = 0;
  let duplicates = 0;
  let reordered = 0;
  let corrupted = 0;
  let unconfirmedButReceived = 0;
  let foreign = 0;
  let unexpected = 0;
  let reparsed = 0;
  for (const tracker of trackers) {
    corrupted += tracker.corrupted;
    foreign += tracker.foreign;
    reparsed += tracker.reparsed;
    for (const [publisherId, receipts] of tracker.publishers()) {
      const ledger = byId.get(publisherId);
      if (!ledger) {
        unexpected += receipts.received.size + receipts.duplicates;
        continue;
      }
      const issued = receipts.received.countInRange(0, ledger.attempted);
      unexpected += receipts.received.size - issued;
      received += issued;
      unconfirmedButReceived += issued - receipts.received.countAnd(ledger.confirmed);
      duplicates += receipts.duplicates;
      reordered += receipts.reordered;
    }
    for (const ledger of byId.values()) {
      const receipts = tracker.receiptsOf(ledger.publisherId);
      lostAcknowledged += receipts ? ledger.confirmed.countAndNot(receipts.received) : ledger.confirmed.size;
      lostFailed += receipts ? ledger.failed.countAndNot(receipts.received) : ledger.failed.size;
    }
  }
  const expected = attempted * trackers.length;
  const lost = expected - received;
  return {
    attempted,
    sent,
    publishFailed,
    unconfirmed: attempted - sent - publishFailed,
    receiverGroups: trackers.length,
    expected,
    received,
    lost,
    lostAcknowledged,
    lostUnacknowledged: lost - lostAcknowledged - lostFailed,
    lostFailed,
    duplicates,
    reordered,
    corrupted,
    unconfirmedButReceived,
    foreign,
    unexpected,
    reparsed,
    lossRatio: expected > 0 ? lost / expected : 0,
    duplicateRatio: received > 0 ? duplicates / received : 0,
  };
}

/** Which sequences were lost (attempted, never received), for a readable failure message (bounded). */
export function sampleLost(ledgers: readonly SendLedger[], trackers: readonly ReceiveTracker[]): LostSample[] {
  const samples: LostSample[] = [];
  const empty = new SequenceBitset();
  for (const tracker of trackers) {
    for (const ledger of ledgers) {
      if (samples.length >= LOST_SAMPLE_ENTRIES) return samples;
      const received = tracker.receiptsOf(ledger.publisherId)?.received ?? empty;
      const seqs = received.sampleMissingBelow(ledger.attempted, LOST_SAMPLE_SEQS);
      if (seqs.length > 0) samples.push({ groupId: tracker.groupId, publisherId: ledger.publisherId, seqs });
    }
  }
  return samples;
}

/** The report's form of the counters (helpers/model/result.ts MessageCounters). */
export function toMessageCounters(c: DeliveryCounters): MessageCounters {
  return {
    attempted: c.attempted,
    sent: c.sent,
    unconfirmed: c.publishFailed + c.unconfirmed,
    expected: c.expected,
    received: c.received,
    duplicates: c.duplicates,
    reordered: c.reordered,
    lost: c.lost,
    lostAcknowledged: c.lostAcknowledged,
    lostUnacknowledged: c.lostUnacknowledged,
    lostFailed: c.lostFailed,
    corrupted: c.corrupted + c.foreign,
    unconfirmedReceived: c.unconfirmedButReceived,
  };
}
