import { SequenceBitset } from './sequence-bitset.js';

/**
 * What one publisher issued and what its client confirmed. Sequences are
 * issued contiguously from 0, so "issued" is just a count.
 */
export class SendLedger {
  /** Sequences [0, attempted) were handed to the client. */
  attempted = 0;
  readonly confirmed: SequenceBitset;
  readonly failed: SequenceBitset;

  constructor(
    readonly publisherId: string,
    confirmed = new SequenceBitset(),
    failed = new SequenceBitset(),
  ) {
    this.confirmed = confirmed;
    this.failed = failed;
  }

  issue(seq: number): void {
    if (seq >= this.attempted) this.attempted = seq + 1;
  }

  /** Returns false if the sequence was already settled (a client calling back twice). */
  confirm(seq: number): boolean {
    if (this.failed.has(seq)) return false;
    return this.confirmed.add(seq);
  }

  fail(seq: number): boolean {
    if (this.confirmed.has(seq)) return false;
    return this.failed.add(seq);
  }

  /** Issued, neither confirmed nor failed (still in flight, or never acknowledged). */
  get unsettled(): number {
    return this.attempted - this.confirmed.size - this.failed.size;
  }

  /** Union with another worker's view of the same publisher (exact). */
  mergeFrom(other: SendLedger): void {
    this.attempted = Math.max(this.attempted, other.attempted);
    this.confirmed.addAll(other.confirmed);
    this.failed.addAll(other.failed);
  }
}
