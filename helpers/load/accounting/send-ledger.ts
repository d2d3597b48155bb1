import { SequenceBitset } from './sequence-bitset.js';

/** Told of each sequence a ledger settles: LiveAccounting keeps its running totals with it. */
export interface SettleListener {
  onConfirmed(ledger: SendLedger, seq: number): void;
  onFailed(ledger: SendLedger, seq: number): void;
}

/**
 * What one publisher issued and what its client confirmed. Sequences are
 * issued contiguously from 0, so "issued" is just a count.
 */
export class SendLedger {
  /** Sequences [0, attempted) were handed to the client. */
  attempted = 0;
  readonly confirmed: SequenceBitset;
  readonly failed: SequenceBitset;
  private listener: SettleListener | undefined;

  constructor(
    readonly publisherId: string,
    confirmed = new SequenceBitset(),
    failed = new SequenceBitset(),
  ) {
    this.confirmed = confirmed;
    this.failed = failed;
  }

  /** Reports every later confirm and fail to `listener` (one per ledger: the accounting that adopted it). */
  listen(listener: SettleListener): void {
    if (this.listener && this.listener !== listener)
      throw new Error(`SendLedger "${this.publisherId}": already counted by another accounting`);
    this.listener = listener;
  }

  issue(seq: number): void {
    if (seq >= this.attempted) this.attempted = seq + 1;
  }

  /** Returns false if the sequence was already settled (a client calling back twice). */
  confirm(seq: number): boolean {
    if (this.failed.has(seq) || !this.confirmed.add(seq)) return false;
    this.listener?.onConfirmed(this, seq);
    return true;
  }

  fail(seq: number): boolean {
    if (this.confirmed.has(seq) || !this.failed.add(seq)) return false;
    this.listener?.onFailed(this, seq);
    return true;
  }

  /** Issued, neither confirmed nor failed (still in flight, or never acknowledged). */
  get unsettled(): number {
    return this.attempted - this.confirmed.size - this.failed.size;
  }

  /** Union with another worker's view of the same publisher (exact; not reported to a listener). */
  mergeFrom(other: SendLedger): void {
    this.attempted = Math.max(this.attempted, other.attempted);
    this.confirmed.addAll(other.confirmed);
    this.failed.addAll(other.failed);
  }
}
