import { SequenceBitset } from './sequence-bitset.js';

export interface PublisherReceipts {
  received: SequenceBitset;
  duplicates: number;
  /** Unique arrivals after a higher sequence of the same publisher had arrived. */
  reordered: number;
  highestSeq: number;
}

export const RECEIPT_NEW = 0;
export const RECEIPT_NEW_REORDERED = 1;
export const RECEIPT_DUPLICATE = 2;
export type ReceiptOutcome = typeof RECEIPT_NEW | typeof RECEIPT_NEW_REORDERED | typeof RECEIPT_DUPLICATE;

/**
 * What one receiver group got: a subscriber of its own ("all" mode), or all
 * members of a shared subscription together. Uniqueness is by
 * (publisherId, seq); any publisher id is accepted, whether it is expected is
 * decided when counting (a worker may receive other workers' publishers).
 */
export class ReceiveTracker {
  corrupted = 0;
  foreign = 0;
  /** Messages that only matched after re-parsing (the path re-serialised the JSON). */
  reparsed = 0;
  private readonly byPublisher = new Map<string, PublisherReceipts>();

  constructor(readonly groupId: string) {}

  record(publisherId: string, seq: number): ReceiptOutcome {
    let receipts = this.byPublisher.get(publisherId);
    if (!receipts) {
      receipts = { received: new SequenceBitset(), duplicates: 0, reordered: 0, highestSeq: -1 };
      this.byPublisher.set(publisherId, receipts);
    }
    if (!receipts.received.add(seq)) {
      receipts.duplicates++;
      return RECEIPT_DUPLICATE;
    }
    if (seq < receipts.highestSeq) {
      receipts.reordered++;
      return RECEIPT_NEW_REORDERED;
    }
    receipts.highestSeq = seq;
    return RECEIPT_NEW;
  }

  has(publisherId: string, seq: number): boolean {
    return this.byPublisher.get(publisherId)?.received.has(seq) ?? false;
  }

  receiptsOf(publisherId: string): PublisherReceipts | undefined {
    return this.byPublisher.get(publisherId);
  }

  publishers(): IterableIterator<[string, PublisherReceipts]> {
    return this.byPublisher.entries();
  }

  setReceipts(publisherId: string, receipts: PublisherReceipts): void {
    this.byPublisher.set(publisherId, receipts);
  }

  /**
   * Exact merge of another tracker of the same group (e.g. shared-subscription
   * members in another worker): a sequence both saw is one receipt plus one duplicate.
   */
  mergeFrom(other: ReceiveTracker): void {
    this.corrupted += other.corrupted;
    this.foreign += other.foreign;
    this.reparsed += other.reparsed;
    for (const [publisherId, theirs] of other.publishers()) {
      const mine = this.byPublisher.get(publisherId);
      if (!mine) {
        this.byPublisher.set(publisherId, { ...theirs, received: theirs.received.clone() });
        continue;
      }
      mine.duplicates += theirs.duplicates + mine.received.countAnd(theirs.received);
      mine.reordered += theirs.reordered;
      mine.highestSeq = Math.max(mine.highestSeq, theirs.highestSeq);
      mine.received.addAll(theirs.received);
    }
  }
}
