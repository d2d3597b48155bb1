import { RECEIPT_DUPLICATE, ReceiveTracker, type ReceiptOutcome } from './receive-tracker.js';
import { SendLedger } from './send-ledger.js';

/**
 * The in-process accounting of one run: ledgers per publisher, trackers per
 * receiver group, and an O(1) "every confirmed message arrived" check for the
 * drain (a message may be received before its PUBACK reaches the publisher,
 * so both sides update the delivered-and-confirmed count).
 */
export class LiveAccounting {
  readonly ledgers: SendLedger[] = [];
  readonly trackers: ReceiveTracker[];
  private readonly ledgerById = new Map<string, SendLedger>();
  private confirmedTotal = 0;
  private failedTotal = 0;
  private receivedTotal = 0;
  private receivedKnownTotal = 0;
  private deliveredConfirmed = 0;

  constructor(groupIds: readonly string[]) {
    this.trackers = groupIds.map((id) => new ReceiveTracker(id));
  }

  addPublisher(publisherId: string): SendLedger {
    if (this.ledgerById.has(publisherId)) throw new Error(`LiveAccounting: duplicate publisher id "${publisherId}"`);
    const ledger = new SendLedger(publisherId);
    this.ledgers.push(ledger);
    this.ledgerById.set(publisherId, ledger);
    return ledger;
  }

  confirm(ledger: SendLedger, seq: number): boolean {
    if (!ledger.confirm(seq)) return false;
    this.confirmedTotal++;
    for (const tracker of this.trackers) if (tracker.has(ledger.publisherId, seq)) this.deliveredConfirmed++;
    return true;
  }

  fail(ledger: SendLedger, seq: number): boolean {
    if (!ledger.fail(seq)) return false;
    this.failedTotal++;
    return true;
  }

  receive(tracker: ReceiveTracker, publisherId: string, seq: number): ReceiptOutcome {
    const outcome = tracker.record(publisherId, seq);
    if (outcome !== RECEIPT_DUPLICATE) {
      this.receivedTotal++;
      const ledger = this.ledgerById.get(publisherId);
      if (ledger) {
        this.receivedKnownTotal++;
        if (ledger.confirmed.has(seq)) this.deliveredConfirmed++;
      }
    }
    return outcome;
  }

  /** Whether this run issued messages under that publisher id. */
  knows(publisherId: string): boolean {
    return this.ledgerById.has(publisherId);
  }

  get confirmed(): number {
    return this.confirmedTotal;
  }

  get failed(): number {
    return this.failedTotal;
  }

  /** Unique receipts over all groups (any publisher id). */
  get received(): number {
    return this.receivedTotal;
  }

  /** Unique receipts over all groups of publishers this run knows (this worker's groups only). */
  get receivedKnown(): number {
    return this.receivedKnownTotal;
  }

  /** Confirmed deliveries (confirmed × groups) not received yet. */
  get missing(): number {
    return this.confirmedTotal * this.trackers.length - this.deliveredConfirmed;
  }
}
