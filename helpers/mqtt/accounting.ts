import { assertPublisherId, decodeMessage } from '../load/payload/index.js';
import type { MessageCounters } from '../report/result.js';
import { describeMessage, type MessageCollector, type ReceivedMessage } from './collector.js';
import { MARKER_PREFIX } from './marker.js';

/**
 * What one publisher handed to its client and what the client confirmed (QoS 0: written to the
 * socket, QoS 1: PUBACK, QoS 2: PUBCOMP). Only confirmed messages count as sent.
 */
export class SentLog {
  /** Sequences [0, attempted) were handed to the client (or skipped by the caller). */
  attempted = 0;
  readonly confirmed = new Set<number>();
  readonly failed = new Map<number, string>();

  constructor(readonly publisherId: string) {
    assertPublisherId(publisherId);
  }

  issue(seq: number): void {
    this.attempted = Math.max(this.attempted, seq + 1);
  }

  confirm(seq: number): void {
    this.confirmed.add(seq);
  }

  fail(seq: number, reason: string): void {
    this.failed.set(seq, reason);
  }
}

export type Receipt = 'new' | 'reordered' | 'duplicate' | 'corrupted' | 'foreign';

interface PublisherReceipts {
  seen: Set<number>;
  highest: number;
  duplicates: number;
  /** Unique arrivals after a higher sequence of the same publisher had arrived. */
  reordered: number;
}

const SAMPLE = 10;

/**
 * Exact delivery accounting for one receiver: every payload is decoded and its integrity
 * checked (helpers/load/payload: publisher id, sequence, send time, CRC32); received counts
 * distinct (publisher, sequence); duplicates, reordering, loss and corruption are counted on
 * their own, never derived from one another.
 */
export class DeliveryTracker {
  private readonly logs = new Map<string, SentLog>();
  private readonly receipts = new Map<string, PublisherReceipts>();
  /** Payloads with an identity header that failed the integrity check. */
  readonly corrupted: { topic: string; reason: string; claimed?: string }[] = [];
  /** Payloads without any identity header (nothing this test published). */
  readonly foreign: { topic: string; bytes: number }[] = [];

  /** The log of a publisher (created on first use); its id is what the payloads carry. */
  sender(publisherId: string): SentLog {
    let log = this.logs.get(publisherId);
    if (!log) {
      log = new SentLog(publisherId);
      this.logs.set(publisherId, log);
    }
    return log;
  }

  record(message: ReceivedMessage): Receipt {
    const decoded = decodeMessage(message.payload);
    if (decoded.kind === 'foreign') {
      this.foreign.push({ topic: message.topic, bytes: message.payload.length });
      return 'foreign';
    }
    if (decoded.kind === 'corrupted') {
      this.corrupted.push({
        topic: message.topic,
        reason: decoded.reason,
        ...(decoded.claimed ? { claimed: `${decoded.claimed.publisherId}#${decoded.claimed.seq}` } : {}),
      });
      return 'corrupted';
    }
    let receipts = this.receipts.get(decoded.publisherId);
    if (!receipts) {
      receipts = { seen: new Set(), highest: -1, duplicates: 0, reordered: 0 };
      this.receipts.set(decoded.publisherId, receipts);
    }
    if (receipts.seen.has(decoded.seq)) {
      receipts.duplicates += 1;
      return 'duplicate';
    }
    receipts.seen.add(decoded.seq);
    if (decoded.seq < receipts.highest) {
      receipts.reordered += 1;
      return 'reordered';
    }
    receipts.highest = decoded.seq;
    return 'new';
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
    if (publisherId !== undefined) return this.receipts.get(publisherId)?.seen.size ?? 0;
    let total = 0;
    for (const receipts of this.receipts.values()) total += receipts.seen.size;
    return total;
  }

  has(publisherId: string, seq: number): boolean {
    return this.receipts.get(publisherId)?.seen.has(seq) ?? false;
  }

  /** True once every confirmed message of every publisher arrived. */
  allConfirmedReceived(): boolean {
    for (const log of this.logs.values()) {
      const seen = this.receipts.get(log.publisherId)?.seen;
      for (const seq of log.confirmed) if (!seen?.has(seq)) return false;
    }
    return true;
  }

  /** Confirmed sequences that never arrived, ascending. */
  lostSeqs(publisherId: string): number[] {
    const log = this.logs.get(publisherId);
    if (!log) return [];
    const seen = this.receipts.get(publisherId)?.seen;
    return [...log.confirmed].filter((seq) => !seen?.has(seq)).sort((a, b) => a - b);
  }

  /** Valid payloads of a publisher or sequence this tracker never sent (e.g. a stale retained message). */
  unexpected(): number {
    let count = 0;
    for (const [publisherId, receipts] of this.receipts) {
      const log = this.logs.get(publisherId);
      for (const seq of receipts.seen) if (!log || seq >= log.attempted) count += 1;
    }
    return count;
  }

  counters(): MessageCounters {
    let sent = 0;
    let unconfirmed = 0;
    let received = 0;
    let lost = 0;
    let unconfirmedReceived = 0;
    for (const log of this.logs.values()) {
      sent += log.confirmed.size;
      unconfirmed += log.attempted - log.confirmed.size;
      const seen = this.receipts.get(log.publisherId)?.seen ?? new Set<number>();
      for (const seq of seen) {
        if (seq >= log.attempted) continue;
        received += 1;
        if (!log.confirmed.has(seq)) unconfirmedReceived += 1;
      }
      for (const seq of log.confirmed) if (!seen.has(seq)) lost += 1;
    }
    let duplicates = 0;
    let reordered = 0;
    for (const receipts of this.receipts.values()) {
      duplicates += receipts.duplicates;
      reordered += receipts.reordered;
    }
    return {
      sent,
      unconfirmed,
      received,
      duplicates,
      reordered,
      lost,
      corrupted: this.corrupted.length + this.foreign.length,
      unconfirmedReceived,
    };
  }

  /** One line per problem (bounded samples), for assertion messages. */
  summary(): string {
    const c = this.counters();
    const parts = [
      `sent ${c.sent} (confirmed), received ${c.received} unique, lost ${c.lost}, duplicates ${c.duplicates}, reordered ${c.reordered}, corrupted ${c.corrupted}`,
    ];
    if (c.unconfirmed > 0) parts.push(`unconfirmed publishes ${c.unconfirmed}${this.failureSample()}`);
    for (const log of this.logs.values()) {
      const lost = this.lostSeqs(log.publisherId);
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
    for (const log of this.logs.values()) {
      const first = log.failed.entries().next();
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
