import type { MessageCounters } from '../model/index.js';
import {
  computeCounters,
  LiveAccounting,
  RECEIPT_DUPLICATE,
  RECEIPT_NEW,
  RECEIPT_NEW_REORDERED,
  receivePayload,
  SendLedger,
  SequenceBitset,
  toMessageCounters,
  type ReceiptOutcome,
  type ReceiveTracker,
} from '../load/accounting/index.js';
import { assertPublisherId, decodeMessage } from '../load/payload/index.js';
import { describeMessage, type MessageCollector, type ReceivedMessage } from './collector.js';
import { MARKER_PREFIX } from './marker.js';

/**
 * What one publisher handed to its client and what the client confirmed (QoS 0: written to the
 * socket, QoS 1: PUBACK, QoS 2: PUBCOMP): the load engine's ledger, plus the reason of each failure
 * for assertion messages.
 */
export class SentLog extends SendLedger {
  readonly failureReasons = new Map<number, string>();

  constructor(publisherId: string) {
    assertPublisherId(publisherId);
    super(publisherId);
  }

  override fail(seq: number, reason = 'failed'): boolean {
    if (!super.fail(seq)) return false;
    this.failureReasons.set(seq, reason);
    return true;
  }
}

export type Receipt = 'new' | 'reordered' | 'duplicate' | 'corrupted' | 'foreign';

const SAMPLE = 10;
const RECEIPTS: Record<ReceiptOutcome, Receipt> = {
  [RECEIPT_NEW]: 'new',
  [RECEIPT_NEW_REORDERED]: 'reordered',
  [RECEIPT_DUPLICATE]: 'duplicate',
};

/**
 * Exact delivery accounting for one receiver: the load engine's LiveAccounting with one receiver
 * group, fed by the load engine's receive step (receivePayload: identity, sequence, send time,
 * CRC32), so a suite counts exactly as a load run does. Received counts distinct (publisher,
 * sequence); every attempted publish ends as received or lost, whether or not the broker
 * acknowledged it; duplicates, reordering and corruption are counted on their own.
 */
export class DeliveryTracker {
  /** One receiver group; every SentLog from `sender` is one of its ledgers. */
  readonly accounting = new LiveAccounting(['receiver']);
  private readonly receipts: ReceiveTracker;
  /** Payloads with an identity header that failed the integrity check. */
  readonly corrupted: { topic: string; reason: string; claimed?: string }[] = [];
  /** Payloads without any identity header (nothing this test published). */
  readonly foreign: { topic: string; bytes: number }[] = [];

  constructor() {
    const [receipts] = this.accounting.trackers;
    if (!receipts) throw new Error('DeliveryTracker: LiveAccounting made no tracker for its one group');
    this.receipts = receipts;
  }

  /**
   * The log of a publisher (created on first use); its id is what the payloads carry. Its confirms
   * and fails, made by whoever publishes, count in this tracker's accounting.
   */
  sender(publisherId: string): SentLog {
    const known = this.accounting.ledgerOf(publisherId);
    if (known instanceof SentLog) return known;
    const log = new SentLog(publisherId);
    this.accounting.addPublisher(log);
    return log;
  }

  record(message: ReceivedMessage): Receipt {
    const received = receivePayload(this.accounting, this.receipts, message.payload);
    if (received.kind === 'ok') return RECEIPTS[received.outcome];
    if (received.kind === 'foreign') {
      this.foreign.push({ topic: message.topic, bytes: message.payload.length });
      return 'foreign';
    }
    this.corrupted.push({
      topic: message.topic,
      reason: received.reason,
      ...(received.claimed ? { claimed: `${received.claimed.publisherId}#${received.claimed.seq}` } : {}),
    });
    return 'corrupted';
  }

  /** Records every message the collector has and will get that passes `filter`. Returns an unsubscribe. */
  follow(collector: MessageCollector, filter: (message: ReceivedMessage) => boolean = () => true): () => void {
    for (const message of collector.messages) if (filter(message)) this.record(message);
    return collector.onMessage((message) => {
      if (filter(message)) this.record(message);
    });
  }

  /** Distinct sequences received from one publisher (or from all). */
  unique(publisherId?: string): number {
    if (publisherId === undefined) return this.accounting.received;
    return this.receipts.receiptsOf(publisherId)?.received.size ?? 0;
  }

  has(publisherId: string, seq: number): boolean {
    return this.receipts.has(publisherId, seq);
  }

  /** True once every confirmed message of every publisher arrived. */
  allConfirmedReceived(): boolean {
    return this.accounting.missing === 0;
  }

  /** Attempted sequences that never arrived (confirmed or not), ascending, at most `limit`. */
  lostSeqs(publisherId: string, limit = Number.MAX_SAFE_INTEGER): number[] {
    const log = this.accounting.ledgerOf(publisherId);
    if (!log) return [];
    return (this.receipts.receiptsOf(publisherId)?.received ?? new SequenceBitset()).sampleMissingBelow(
      log.attempted,
      limit,
    );
  }

  /** Valid payloads of a publisher or sequence this tracker never sent (e.g. a stale retained message). */
  unexpected(): number {
    return computeCounters(this.accounting.ledgers, this.accounting.trackers).unexpected;
  }

  counters(): MessageCounters {
    return toMessageCounters(computeCounters(this.accounting.ledgers, this.accounting.trackers));
  }

  /** One line per problem (bounded samples), for assertion messages. */
  summary(): string {
    const c = this.counters();
    const parts = [
      `attempted ${c.attempted}, sent ${c.sent} (confirmed), received ${c.received} unique, lost ${c.lost}, duplicates ${c.duplicates}, reordered ${c.reordered}, corrupted ${c.corrupted}`,
    ];
    if (c.lostUnacknowledged > 0)
      parts.push(`${c.lostUnacknowledged} lost publish(es) were never acknowledged by the broker`);
    if (c.unconfirmed > 0) parts.push(`unconfirmed publishes ${c.unconfirmed}${this.failureSample()}`);
    for (const log of this.accounting.ledgers) {
      const lost = this.lostSeqs(log.publisherId, SAMPLE + 1);
      if (lost.length > 0)
        parts.push(
          `lost from ${log.publisherId}: ${lost.slice(0, SAMPLE).join(', ')}${lost.length > SAMPLE ? ', ...' : ''}`,
        );
    }
    if (this.corrupted.length > 0)
      parts.push(
        `corrupted: ${this.corrupted
          .slice(0, 3)
          .map((x) => `${x.topic}: ${x.reason}${x.claimed ? ` (claims ${x.claimed})` : ''}`)
          .join('; ')}`,
      );
    if (this.foreign.length > 0)
      parts.push(
        `without identity header: ${this.foreign
          .slice(0, 3)
          .map((x) => `${x.topic} (${x.bytes} bytes)`)
          .join('; ')}`,
      );
    const unexpected = this.unexpected();
    if (unexpected > 0) parts.push(`${unexpected} valid message(s) this test never published`);
    return parts.join('; ');
  }

  private failureSample(): string {
    for (const log of this.accounting.ledgers) {
      if (!(log instanceof SentLog)) continue;
      const first = log.failureReasons.entries().next();
      if (!first.done) return ` (e.g. ${log.publisherId}#${first.value[0]}: ${first.value[1]})`;
    }
    return '';
  }
}

/**
 * Integrity of single deliveries, for checks where one message legitimately arrives several times
 * (a retained message sent to each new subscription, several subscribers): every payload must
 * decode, pass its CRC and be a sequence one of `logs` issued. Empty payloads (retained deletes)
 * and markers are skipped. Returns one readable line per problem (empty: all good).
 */
export function payloadProblems(messages: readonly ReceivedMessage[], logs: readonly SentLog[]): string[] {
  const problems: string[] = [];
  for (const message of messages) {
    if (message.payload.length === 0) continue;
    const decoded = decodeMessage(message.payload);
    if (decoded.kind === 'ok' && decoded.publisherId.startsWith(MARKER_PREFIX)) continue;
    if (decoded.kind !== 'ok') {
      problems.push(`${describeMessage(message)}: ${decoded.reason}`);
      continue;
    }
    const log = logs.find((l) => l.publisherId === decoded.publisherId);
    if (!log || decoded.seq >= log.attempted)
      problems.push(`${describeMessage(message)}: a message this test never published`);
  }
  return problems;
}
