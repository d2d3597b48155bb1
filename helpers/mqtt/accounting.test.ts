import { describe, expect, it } from 'vitest';
import { computeCounters, LiveAccounting, type SendLedger } from '../load/accounting/index.js';
import type { LoadClient, MessageHandler } from '../load/client/types.js';
import { Consumer } from '../load/consumer.js';
import { createProbeMessage } from '../load/payload/index.js';
import { RunStats } from '../load/run-stats.js';
import { DeliveryTracker, SentLog } from './accounting.js';
import type { ReceivedMessage } from './collector.js';

const PUBLISHER = 'pub-0';

/** What happens to publisher pub-0's sequences 0-7, in order, the same for both receive paths. */
type Step = { issue: number } | { confirm: number } | { fail: number } | { deliver: Buffer };

function probe(seq: number): Buffer {
  return createProbeMessage({ publisherId: PUBLISHER, seq, sendUs: 1_000 + seq });
}

function corrupted(seq: number): Buffer {
  const bytes = probe(seq);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0x01, bytes.length - 3); // a flipped bit in the body
  return bytes;
}

function reserialised(seq: number): Buffer {
  return Buffer.from(JSON.stringify(JSON.parse(probe(seq).toString()), null, 2));
}

// 0-2 confirmed and delivered (2 twice, 1 after 2); 3 confirmed, delivered corrupted; 4 never
// acknowledged, never delivered; 5 confirmed before, 6 after its delivery (6 re-serialised on the
// way); 7 failed; one payload without an identity header.
const SCRIPT: Step[] = [
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((seq) => ({ issue: seq })),
  { confirm: 0 },
  { deliver: probe(0) },
  { confirm: 2 },
  { deliver: probe(2) },
  { confirm: 1 },
  { deliver: probe(1) },
  { deliver: probe(2) },
  { confirm: 3 },
  { deliver: corrupted(3) },
  { deliver: Buffer.from('{"temperature":21.5}') },
  { confirm: 5 },
  { deliver: probe(5) },
  { deliver: reserialised(6) },
  { confirm: 6 },
  { fail: 7 },
];

/** The load engine's path: a Consumer on a LiveAccounting, settles through LiveAccounting as the Producer does. */
function runConsumerPath(): LiveAccounting {
  const accounting = new LiveAccounting(['receiver']);
  const ledger: SendLedger = accounting.addPublisher(PUBLISHER);
  const [tracker] = accounting.trackers;
  if (!tracker) throw new Error('no tracker');
  let deliver: MessageHandler | undefined;
  const client = {
    onMessage: (handler: MessageHandler) => (deliver = handler),
    on: () => undefined,
  } as unknown as LoadClient;
  new Consumer('sub-0', client, tracker, new RunStats(accounting, 0, false, Date.now()));
  for (const step of SCRIPT) {
    if ('issue' in step) ledger.issue(step.issue);
    else if ('confirm' in step) ledger.confirm(step.confirm);
    else if ('fail' in step) ledger.fail(step.fail);
    else deliver?.(step.deliver, 0);
  }
  return accounting;
}

/** The suites' path: settles made on the SentLog itself (as publishNumbered does), payloads through `record`. */
function runDeliveryTrackerPath(): { tracker: DeliveryTracker; log: SentLog } {
  const tracker = new DeliveryTracker();
  const log = tracker.sender(PUBLISHER);
  for (const step of SCRIPT) {
    if ('issue' in step) log.issue(step.issue);
    else if ('confirm' in step) log.confirm(step.confirm);
    else if ('fail' in step) log.fail(step.fail, 'refused');
    else tracker.record(message(step.deliver));
  }
  return { tracker, log };
}

function message(payload: Buffer): ReceivedMessage {
  return {
    topic: 't/a',
    payload,
    qos: 1,
    retain: false,
    dup: false,
    messageId: 1,
    properties: undefined,
    arrivalNs: 0n,
    connection: 0,
  };
}

describe('DeliveryTracker and the load engine count received messages on one path', () => {
  it('gives the same counters as a Consumer for the same sends, settles and payloads', () => {
    const engine = runConsumerPath();
    const { tracker } = runDeliveryTrackerPath();
    const fromEngine = computeCounters(engine.ledgers, engine.trackers);
    expect(computeCounters(tracker.accounting.ledgers, tracker.accounting.trackers)).toEqual(fromEngine);
    expect(fromEngine).toMatchObject({
      attempted: 8,
      sent: 6,
      publishFailed: 1,
      received: 5,
      lost: 3,
      lostAcknowledged: 1,
      lostUnacknowledged: 1,
      lostFailed: 1,
      duplicates: 1,
      reordered: 1,
      corrupted: 1,
      foreign: 1,
      reparsed: 1,
    });
    expect(tracker.accounting).toMatchObject({ confirmed: engine.confirmed, failed: engine.failed, missing: 1 });
    expect(engine.missing).toBe(1);
    expect(tracker.corrupted).toEqual([expect.objectContaining({ topic: 't/a', claimed: `${PUBLISHER}#3` })]);
    expect(tracker.summary()).toContain('unconfirmed publishes 2 (e.g. pub-0#7: refused)');
  });

  it("counts a SentLog's own confirms: allConfirmedReceived waits for the last confirmed message", () => {
    const tracker = new DeliveryTracker();
    const log = tracker.sender(PUBLISHER);
    expect(tracker.sender(PUBLISHER)).toBe(log);
    expect(tracker.accounting.ledgerOf(PUBLISHER)).toBe(log);
    for (const seq of [0, 1, 2]) log.issue(seq);
    expect(tracker.record(message(probe(1)))).toBe('new'); // before its PUBACK
    expect(tracker.allConfirmedReceived()).toBe(true);
    log.confirm(0);
    log.confirm(1);
    expect(tracker.allConfirmedReceived()).toBe(false);
    expect(tracker.accounting.missing).toBe(1);
    log.fail(2, 'connection lost'); // a failed publish is not waited for
    expect(tracker.allConfirmedReceived()).toBe(false);
    expect(tracker.record(message(probe(0)))).toBe('reordered');
    expect(tracker.allConfirmedReceived()).toBe(true);
    expect(tracker.record(message(probe(0)))).toBe('duplicate');
    expect(tracker.unique()).toBe(2);
  });

  it('leaves a standalone SentLog to itself', () => {
    const log = new SentLog(PUBLISHER);
    log.issue(0);
    expect(log.confirm(0)).toBe(true);
    expect(log.fail(0, 'late')).toBe(false);
    expect(log).toMatchObject({ attempted: 1, unsettled: 0 });
    expect(log.failureReasons.size).toBe(0);
  });
});
