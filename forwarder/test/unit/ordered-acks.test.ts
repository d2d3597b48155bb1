import { describe, expect, it } from 'vitest';
import { OrderedAcks } from '../../src/pipeline/ordered-acks.js';

function setup(capacity = 10) {
  let now = 1000;
  const sent: string[] = [];
  const acks = new OrderedAcks({
    capacity,
    send: (qos, id) => sent.push(`${qos === 1 ? 'puback' : 'pubrec'} ${id}`),
    now: () => now,
  });
  return { acks, sent, advance: (ms: number) => (now += ms) };
}

describe('OrderedAcks', () => {
  it('sends acks in arrival order even when messages complete out of order [MQTT-4.6.0-2]', () => {
    const { acks, sent } = setup();
    const a = acks.push(1, 1);
    const b = acks.push(2, 2);
    const c = acks.push(3, 1);
    acks.complete(c);
    acks.complete(b);
    expect(sent).toEqual([]);
    acks.complete(a);
    expect(sent).toEqual(['puback 1', 'pubrec 2', 'puback 3']);
    expect(acks.size).toBe(0);
    expect(acks.sent).toBe(3);
  });

  it('releases the completed prefix only', () => {
    const { acks, sent } = setup();
    const [a, b, c] = [acks.push(1, 1), acks.push(2, 1), acks.push(3, 1)];
    acks.complete(a);
    acks.complete(c);
    expect(sent).toEqual(['puback 1']);
    acks.complete(b);
    expect(sent).toEqual(['puback 1', 'puback 2', 'puback 3']);
  });

  it('ignores a second completion of the same slot', () => {
    const { acks, sent } = setup();
    const a = acks.push(1, 1);
    acks.complete(a);
    acks.complete(a);
    expect(sent).toEqual(['puback 1']);
  });

  it('pauses at capacity and resumes the waiting intake when the head is acknowledged', () => {
    const { acks } = setup(2);
    const a = acks.push(1, 1);
    acks.push(2, 1);
    expect(acks.isFull).toBe(true);
    const resumed: string[] = [];
    acks.whenSpace(() => resumed.push('next packet'));
    expect(resumed).toEqual([]);
    acks.complete(a);
    expect(resumed).toEqual(['next packet']);
    acks.whenSpace(() => resumed.push('immediately'));
    expect(resumed).toEqual(['next packet', 'immediately']);
  });

  it('on connection loss forgets held acks, never sends them on the next connection, and wakes waiters', () => {
    const { acks, sent } = setup(1);
    const old = acks.push(7, 2);
    let woken = false;
    acks.whenSpace(() => (woken = true));
    expect(acks.reset().map((s) => s.messageId)).toEqual([7]);
    expect(woken).toBe(true);
    const fresh = acks.push(7, 2);
    acks.complete(old);
    expect(sent).toEqual([]);
    acks.complete(fresh);
    expect(sent).toEqual(['pubrec 7']);
  });

  it('reports the age of the oldest unacknowledged message (fake clock)', () => {
    const { acks, advance } = setup();
    expect(acks.oldestAgeMs()).toBe(0);
    const a = acks.push(1, 1);
    advance(40);
    acks.push(2, 1);
    advance(10);
    expect(acks.oldestAgeMs()).toBe(50);
    acks.complete(a);
    expect(acks.oldestAgeMs()).toBe(10);
  });

  it('keeps order over many messages completed in random order', () => {
    const { acks, sent } = setup(10_000);
    const slots = Array.from({ length: 5000 }, (_, i) => acks.push(i + 1, 1));
    const shuffled = [...slots].sort(() => Math.random() - 0.5);
    for (const slot of shuffled) acks.complete(slot);
    expect(sent).toEqual(slots.map((s) => `puback ${s.messageId}`));
  });
});
