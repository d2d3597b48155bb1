import { RECEIPT_DUPLICATE, ReceiveTracker, type ReceiptOutcome } from './receive-tracker.js';
import { SendLedger, type SettleListener } from './send-ledger.js';

/**
 * The in-process accounting of one run: ledgers per publisher, trackers per
 * receiver group, and an O(1) "every confirmed message arrived" check for the
 * drain (a message may be received before its PUBACK reaches the publisher,
 * so both sides update the delivered-and-confirmed count). A ledger it holds
 * reports its confirms and fails itself, whoever calls them (the load engine's
 * producer, or the suites' publisher on a SentLog).
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
  private readonly settle: SettleListener = {
    onConfirmed: (ledger, seq) => {
      this.confirmedTotal++;
      for (const tracker of this.trackers) if (tracker.has(ledger.publisherId, seq)) this.deliveredConfirmed++;
    },
    onFailed: () => {
      this.failedTotal++;
    },
  };

  constructor(groupIds: readonly string[]) {
    this.trackers = groupIds.map((id) => new ReceiveTracker(id));
  }

  /**
   * A new ledger for `publisher`, or `publisher` itself when it is a ledger made elsewhere (e.g. the
   * suites' SentLog): what it settled and what was received from it so far count from now on.
   */
  addPublisher(publisher: string | SendLedger): SendLedger {
    const ledger = typeof publisher === 'string' ? new SendLedger(publisher) : publisher;
    const id = ledger.publisherId;
    if (this.ledgerById.has(id)) throw new Error(`LiveAccounting: duplicate publisher id "${id}"`);
    ledger.listen(this.settle);
    this.ledgers.push(ledger);
    this.ledgerById.set(id, ledger);
    this.confirmedTotal += ledger.confirmed.size;
    this.failedTotal += ledger.failed.size;
    for (const tracker of this.trackers) {
      const received = tracker.receiptsOf(id)?.received;
      if (!received) continue;
      this.receivedKnownTotal += received.size;
      this.deliveredConfirmed += ledger.confirmed.countAnd(received);
    }
    return ledger;
  }

  /** The ledger of a publisher this run issued messages under. */
  ledgerOf(publisherId: string): SendLedger | undefined {
    return this.ledgerById.get(publisherId);
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
