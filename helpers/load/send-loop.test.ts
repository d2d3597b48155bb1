import { describe, expect, it } from 'vitest';
import { nowUs } from './clock.js';
import { SendLoop, type ScheduledProducer } from './send-loop.js';

interface Sent {
  seq: number;
  intendedUs: number | null;
  sendUs: number;
}

class FakeProducer implements ScheduledProducer {
  nextSeq = 0;
  blocked = false;
  dead = false;
  onReady: () => void = () => undefined;
  readonly client = { connected: true };
  readonly sent: Sent[] = [];
  open = true;

  constructor(readonly index: number) {}

  hasCapacity(): boolean {
    return this.open;
  }

  send(intendedUs: number | null): number {
    const sendUs = nowUs();
    this.sent.push({ seq: this.nextSeq++, intendedUs, sendUs });
    return sendUs;
  }

  reopen(): void {
    this.open = true;
    if (this.blocked) this.onReady();
  }
}

describe('SendLoop', () => {
  it('staggers one uniform schedule over the producers (operation k → producer k mod P)', async () => {
    const producers = [0, 1, 2].map((i) => new FakeProducer(i));
    const loop = new SendLoop(producers, { ratePerSecond: 3_000, messagesPerProducer: 10, durationMs: null });
    const startUs = nowUs();
    await loop.run();
    for (const producer of producers) {
      expect(producer.sent.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const first = producer.sent[0]?.intendedUs ?? 0;
      producer.sent.forEach((s, seq) => {
        expect((s.intendedUs ?? 0) - first).toBeCloseTo(seq * 1_000, -1);
        expect(s.sendUs).toBeGreaterThanOrEqual(s.intendedUs ?? 0);
      });
    }
    const [p0, p1] = producers;
    expect((p1?.sent[0]?.intendedUs ?? 0) - (p0?.sent[0]?.intendedUs ?? 0)).toBeCloseTo(333, -1);
    // 30 operations at 3,000/s span ≈ 9.7 ms of schedule.
    expect(nowUs() - startUs).toBeGreaterThanOrEqual(9_000);
  });

  it('lets a blocked producer send late while its intended times stay on the schedule', async () => {
    const producer = new FakeProducer(0);
    producer.open = false;
    const loop = new SendLoop([producer], { ratePerSecond: 1_000, messagesPerProducer: 20, durationMs: null });
    setTimeout(() => producer.reopen(), 30);
    await loop.run();
    expect(producer.sent).toHaveLength(20);
    const first = producer.sent[0];
    if (!first || first.intendedUs === null) throw new Error('nothing sent');
    expect(first.sendUs - first.intendedUs).toBeGreaterThanOrEqual(25_000);
    const originUs = first.intendedUs;
    producer.sent.forEach((s, seq) => expect((s.intendedUs ?? 0) - originUs).toBe(seq * 1_000));
  });

  it('finishes when the schedule has fewer operations than producers', async () => {
    const producers = [0, 1, 2, 3].map((i) => new FakeProducer(i));
    const loop = new SendLoop(producers, { ratePerSecond: 1_000, messagesPerProducer: null, durationMs: 2 });
    expect(loop.plannedMessages()).toBe(2);
    await loop.run();
    expect(producers.map((p) => p.sent.length)).toEqual([1, 1, 0, 0]);
  });

  it('sends as fast as capacity allows when unlimited and stops at the deadline', async () => {
    const producers = [0, 1].map((i) => new FakeProducer(i));
    const loop = new SendLoop(producers, { ratePerSecond: 0, messagesPerProducer: null, durationMs: 20 });
    const startUs = nowUs();
    await loop.run();
    const all = producers.flatMap((p) => p.sent);
    expect(producers.every((p) => p.sent.length > 10)).toBe(true);
    expect(all.every((s) => s.intendedUs === null)).toBe(true);
    // Only the send that crossed the deadline may be past it (one per producer at most).
    expect(all.filter((s) => s.sendUs > startUs + 20_000 + 1_000).length).toBeLessThanOrEqual(2);
  });

  it('stops early when a producer dies and the others are done', async () => {
    const alive = new FakeProducer(0);
    const doomed = new FakeProducer(1);
    doomed.open = false;
    const loop = new SendLoop([alive, doomed], { ratePerSecond: 0, messagesPerProducer: 5, durationMs: null });
    setTimeout(() => {
      doomed.dead = true;
      doomed.onReady();
    }, 10);
    await loop.run();
    expect(alive.sent).toHaveLength(5);
    expect(doomed.sent).toHaveLength(0);
  });
});
