import { describe, expect, it } from 'vitest';
import {
  computeCounters,
  LiveAccounting,
  mergeAccounting,
  receivePayload,
  RECEIPT_DUPLICATE,
  RECEIPT_NEW,
  RECEIPT_NEW_REORDERED,
  ReceiveTracker,
  sampleLost,
  SendLedger,
  SequenceBitset,
  snapshotAccounting,
} from './index.js';
import { createProbeMessage } from '../payload/index.js';

function ledger(publisherId: string, attempted: number, confirmed: number[], failed: number[] = []): SendLedger {
  const l = new SendLedger(publisherId);
  for (let seq = 0; seq < attempted; seq++) l.issue(seq);
  for (const seq of confirmed) l.confirm(seq);
  for (const seq of failed) l.fail(seq);
  return l;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('SequenceBitset', () => {
  it('adds, counts and grows cheaply to millions of sequences', () => {
    const bits = new SequenceBitset();
    for (let seq = 0; seq < 3_000_000; seq += 3) bits.add(seq);
    expect(bits.size).toBe(1_000_000);
    expect(bits.add(3)).toBe(false);
    expect(bits.has(2_999_997)).toBe(true);
    expect(bits.has(2_999_998)).toBe(false);
    expect(bits.countInRange(0, 30)).toBe(10);
    expect(bits.countInRange(1, 4)).toBe(1);
  });

  it('computes intersections, differences and samples', () => {
    const a = new SequenceBitset();
    const b = new SequenceBitset();
    for (const seq of [1, 2, 3, 40, 41, 100]) a.add(seq);
    for (const seq of [2, 40, 100, 5000]) b.add(seq);
    expect(a.countAnd(b)).toBe(3);
    expect(a.countAndNot(b)).toBe(3);
    expect(a.sampleAndNot(b, 10)).toEqual([1, 3, 41]);
    expect(a.sampleAndNot(b, 2)).toEqual([1, 3]);
  });

  it('round-trips through base64', () => {
    const bits = new SequenceBitset();
    for (const seq of [0, 31, 32, 1000, 65_535]) bits.add(seq);
    const restored = SequenceBitset.fromBase64(bits.toBase64());
    expect(restored.size).toBe(5);
    expect([0, 31, 32, 1000, 65_535].every((seq) => restored.has(seq))).toBe(true);
  });
});

describe('ReceiveTracker', () => {
  it('classifies new, reordered and duplicate receipts per publisher', () => {
    const tracker = new ReceiveTracker('sub-0');
    expect(tracker.record('p1', 0)).toBe(RECEIPT_NEW);
    expect(tracker.record('p1', 2)).toBe(RECEIPT_NEW);
    expect(tracker.record('p1', 1)).toBe(RECEIPT_NEW_REORDERED);
    expect(tracker.record('p1', 2)).toBe(RECEIPT_DUPLICATE);
    expect(tracker.record('p2', 0)).toBe(RECEIPT_NEW);
    expect(tracker.receiptsOf('p1')).toMatchObject({ duplicates: 1, reordered: 1, highestSeq: 2 });
  });
});

describe('computeCounters', () => {
  it('counts exact delivery: received, duplicates, reordered and lost', () => {
    const p1 = ledger('p1', 10, range(0, 10));
    const tracker = new ReceiveTracker('sub-0');
    for (const seq of [0, 1, 2, 5, 4, 6, 6, 7, 9]) tracker.record('p1', seq);
    const counters = computeCounters([p1], [tracker]);
    expect(counters).toMatchObject({
      attempted: 10,
      sent: 10,
      expected: 10,
      received: 8,
      lost: 2,
      duplicates: 1,
      reordered: 1,
      unconfirmedButReceived: 0,
      unconfirmed: 0,
      lossRatio: 0.2,
    });
    expect(sampleLost([p1], [tracker])).toEqual([{ groupId: 'sub-0', publisherId: 'p1', seqs: [3, 8] }]);
  });

  it('reports unconfirmed-but-received apart, never as sent, and a failed publish that never arrived as lost', () => {
    // seq 3 failed, seq 4 never acknowledged; both arrived anyway. seq 5 failed and did not arrive.
    const p1 = ledger('p1', 6, [0, 1, 2], [3, 5]);
    const tracker = new ReceiveTracker('sub-0');
    for (const seq of [0, 1, 2, 3, 4]) tracker.record('p1', seq);
    const counters = computeCounters([p1], [tracker]);
    expect(counters).toMatchObject({
      attempted: 6,
      sent: 3,
      publishFailed: 2,
      unconfirmed: 1,
      expected: 6,
      received: 5,
      lost: 1,
      lostFailed: 1,
      lostUnacknowledged: 0,
      lostAcknowledged: 0,
      unconfirmedButReceived: 2,
    });
    expect(sampleLost([p1], [tracker])).toEqual([{ groupId: 'sub-0', publisherId: 'p1', seqs: [5] }]);
  });

  it('counts a publish the broker never acknowledged and never delivered as lost, not as ignorable', () => {
    // 100 attempted; the broker swallowed seqs 10, 50 and 99 (no PUBACK, no delivery); seq 20 acknowledged, not delivered.
    const swallowed = [10, 50, 99];
    const p1 = ledger(
      'p1',
      100,
      range(0, 100).filter((seq) => !swallowed.includes(seq)),
    );
    const tracker = new ReceiveTracker('sub-0');
    for (const seq of range(0, 100)) if (!swallowed.includes(seq) && seq !== 20) tracker.record('p1', seq);
    const counters = computeCounters([p1], [tracker]);
    expect(counters).toMatchObject({
      attempted: 100,
      sent: 97,
      unconfirmed: 3,
      expected: 100,
      received: 96,
      lost: 4,
      lostUnacknowledged: 3,
      lostAcknowledged: 1,
      lostFailed: 0,
      lossRatio: 0.04,
    });
    expect(counters.received + counters.lost).toBe(counters.attempted);
    expect(sampleLost([p1], [tracker])).toEqual([{ groupId: 'sub-0', publisherId: 'p1', seqs: [10, 20, 50, 99] }]);
  });

  it('counts each receiver group against every confirmed message', () => {
    const p1 = ledger('p1', 4, range(0, 4));
    const a = new ReceiveTracker('sub-a');
    const b = new ReceiveTracker('sub-b');
    for (const seq of range(0, 4)) a.record('p1', seq);
    b.record('p1', 1);
    const counters = computeCounters([p1], [a, b]);
    expect(counters).toMatchObject({ expected: 8, received: 5, lost: 3, receiverGroups: 2 });
  });

  it('keeps foreign, corrupted and unexpected messages out of received', () => {
    const p1 = ledger('p1', 2, [0, 1]);
    const tracker = new ReceiveTracker('sub-0');
    tracker.record('p1', 0);
    tracker.record('p1', 1);
    tracker.record('p1', 7); // never issued
    tracker.record('stale-run', 0); // retained message of an earlier run
    tracker.corrupted = 2;
    tracker.foreign = 3;
    const counters = computeCounters([p1], [tracker]);
    expect(counters).toMatchObject({ received: 2, lost: 0, unexpected: 2, corrupted: 2, foreign: 3 });
  });
});

describe('LiveAccounting', () => {
  it('knows when every confirmed message arrived, whichever side came first', () => {
    const live = new LiveAccounting(['g1', 'g2']);
    const [g1, g2] = live.trackers;
    if (!g1 || !g2) throw new Error('trackers missing');
    const p = live.addPublisher('p');
    p.issue(0);
    p.issue(1);
    live.receive(g1, 'p', 0); // before its PUBACK
    p.confirm(0);
    p.confirm(1);
    expect(live.missing).toBe(3);
    live.receive(g2, 'p', 0);
    live.receive(g1, 'p', 1);
    live.receive(g1, 'p', 1);
    live.receive(g2, 'p', 1);
    expect(live.missing).toBe(0);
    expect(live.received).toBe(4);
    expect(p.confirm(1)).toBe(false);
    expect(p.fail(1)).toBe(false);
  });
});

describe('mergeAccounting', () => {
  it('merges workers exactly: disjoint publishers, split shared group, distinct groups', () => {
    // Worker A publishes p1 and holds half of the shared group; worker B publishes p2 and the other half.
    const p1 = ledger('p1', 6, range(0, 6));
    const p2 = ledger('p2', 4, range(0, 4));
    const sharedA = new ReceiveTracker('shared');
    const sharedB = new ReceiveTracker('shared');
    for (const seq of [0, 1, 2]) sharedA.record('p1', seq);
    for (const seq of [2, 3, 4, 5]) sharedB.record('p1', seq); // seq 2 reached both halves
    for (const seq of [0, 1, 3]) sharedA.record('p2', seq);
    const soloB = new ReceiveTracker('solo-b');
    for (const seq of range(0, 6)) soloB.record('p1', seq);
    sharedB.corrupted = 1;

    const merged = mergeAccounting([
      snapshotAccounting({ ledgers: [p1], trackers: [sharedA] }),
      snapshotAccounting({ ledgers: [p2], trackers: [sharedB, soloB] }),
    ]);
    const counters = computeCounters(merged.ledgers, merged.trackers);

    const single = new ReceiveTracker('shared');
    for (const seq of [0, 1, 2, 2, 3, 4, 5]) single.record('p1', seq);
    for (const seq of [0, 1, 3]) single.record('p2', seq);
    single.corrupted = 1;
    const soloAgain = new ReceiveTracker('solo-b');
    for (const seq of range(0, 6)) soloAgain.record('p1', seq);
    const expected = computeCounters([p1, p2], [single, soloAgain]);

    expect(counters).toEqual(expected);
    expect(counters).toMatchObject({ sent: 10, expected: 20, received: 15, lost: 5, duplicates: 1, corrupted: 1 });
  });

  it('unites two views of the same publisher', () => {
    const a = ledger('p1', 3, [0, 1]);
    const b = ledger('p1', 5, [3], [4]);
    const merged = mergeAccounting([
      snapshotAccounting({ ledgers: [a], trackers: [] }),
      snapshotAccounting({ ledgers: [b], trackers: [] }),
    ]);
    expect(merged.ledgers).toHaveLength(1);
    expect(merged.ledgers[0]).toMatchObject({ attempted: 5 });
    expect(merged.ledgers[0]?.confirmed.size).toBe(3);
    expect(merged.ledgers[0]?.failed.size).toBe(1);
  });
});

describe('LiveAccounting adopting a ledger made elsewhere', () => {
  it('counts confirms and fails made directly on the ledger, before and after adoption', () => {
    const live = new LiveAccounting(['g']);
    const [g] = live.trackers;
    if (!g) throw new Error('tracker missing');
    live.receive(g, 'p', 0); // arrives before the ledger is known
    const p = ledger('p', 3, [0]); // seq 0 confirmed before adoption
    expect(live.addPublisher(p)).toBe(p);
    expect(live).toMatchObject({ confirmed: 1, received: 1, receivedKnown: 1, missing: 0 });

    p.confirm(1); // the suites' publisher confirms on its SentLog, not through LiveAccounting
    expect(live.missing).toBe(1);
    live.receive(g, 'p', 1);
    expect(live.missing).toBe(0);
    expect(p.fail(2)).toBe(true);
    expect(p.confirm(2)).toBe(false);
    expect(live).toMatchObject({ confirmed: 2, failed: 1, missing: 0 });
  });

  it('refuses a second ledger under the same id and a ledger another accounting counts', () => {
    const live = new LiveAccounting(['g']);
    const p = live.addPublisher('p');
    expect(() => live.addPublisher(new SendLedger('p'))).toThrow(/duplicate publisher id "p"/);
    expect(() => new LiveAccounting(['h']).addPublisher(p)).toThrow(/"p": already counted by another accounting/);
  });
});

describe('receivePayload', () => {
  it('decodes, counts the receipt and returns its outcome, or counts a corrupted, foreign or re-parsed payload', () => {
    const live = new LiveAccounting(['g']);
    const [g] = live.trackers;
    if (!g) throw new Error('tracker missing');
    const p = live.addPublisher('p');
    const message = (seq: number) => createProbeMessage({ publisherId: 'p', seq, sendUs: 1000 + seq });
    const outcomes = [1, 0, 1].map((seq) => receivePayload(live, g, message(seq)));
    expect(outcomes.map((r) => (r.kind === 'ok' ? r.outcome : r.kind))).toEqual([
      RECEIPT_NEW,
      RECEIPT_NEW_REORDERED,
      RECEIPT_DUPLICATE,
    ]);
    expect(outcomes[1]).toMatchObject({ kind: 'ok', publisherId: 'p', seq: 0, sendUs: 1000, reparsed: false });

    const corrupted = message(2);
    corrupted.writeUInt8(corrupted.readUInt8(corrupted.length - 3) ^ 0x01, corrupted.length - 3); // a flipped bit in the body
    expect(receivePayload(live, g, corrupted)).toMatchObject({
      kind: 'corrupted',
      claimed: { publisherId: 'p', seq: 2 },
    });
    expect(receivePayload(live, g, Buffer.from('{"temperature":21}')).kind).toBe('foreign');
    const pretty = Buffer.from(JSON.stringify(JSON.parse(message(3).toString()), null, 2));
    expect(receivePayload(live, g, pretty)).toMatchObject({ kind: 'ok', seq: 3, reparsed: true, outcome: RECEIPT_NEW });

    expect(g).toMatchObject({ corrupted: 1, foreign: 1, reparsed: 1 });
    expect(g.receiptsOf('p')).toMatchObject({ duplicates: 1, reordered: 1 });
    p.confirm(2);
    expect(live).toMatchObject({ received: 3, missing: 1 });
  });
});
