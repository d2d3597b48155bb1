import { describe, expect, it } from 'vitest';
import { type Outbound, type Outcome, RETRY, TargetQueue } from '../../src/pipeline/target-queue.js';

type Job = Outbound & { id: number };

function setup(options: { maxInflight?: number; maxQueued?: number; sync?: boolean } = {}) {
  const published: Job[] = [];
  const callbacks = new Map<number, (error?: Error) => void>();
  const settled: Array<[number, Outcome]> = [];
  const queue = new TargetQueue<Job>({
    maxInflight: options.maxInflight ?? 2,
    maxQueued: options.maxQueued ?? 3,
    publish: (job, done) => {
      published.push(job);
      if (options.sync) done();
      else callbacks.set(job.id, done);
    },
    settle: (job, outcome) => settled.push([job.id, outcome]),
  });
  const confirm = (id: number, error?: Error | typeof RETRY) =>
    (callbacks.get(id) as (e?: Error | typeof RETRY) => void)(error);
  return { queue, published, settled, confirm };
}

const job = (id: number, qos: 0 | 1 | 2 = 1, droppable = qos === 0): Job => ({
  id,
  topic: 't',
  payload: Buffer.alloc(0),
  qos,
  retain: false,
  droppable,
});

describe('TargetQueue', () => {
  it('holds messages until the target is available, then publishes in order up to the in-flight limit', () => {
    const { queue, published, confirm, settled } = setup();
    for (const id of [1, 2, 3]) queue.offer(job(id));
    expect(published).toEqual([]);
    queue.setAvailable(true);
    expect(published.map((j) => j.id)).toEqual([1, 2]);
    expect(queue.inflight).toBe(2);
    confirm(1);
    expect(published.map((j) => j.id)).toEqual([1, 2, 3]);
    expect(settled).toEqual([[1, 'sent']]);
  });

  it('drops QoS 0 messages beyond max_queued while the target is down, never QoS 1/2', () => {
    const { queue } = setup({ maxQueued: 2 });
    expect(queue.offer(job(1, 0))).toBe(true);
    expect(queue.offer(job(2, 0))).toBe(true);
    expect(queue.offer(job(3, 0))).toBe(false);
    expect(queue.offer(job(4, 1, false))).toBe(true);
    expect(queue.queued).toBe(3);
    expect(queue.congested).toBe(false); // down, not congested: sources keep flowing
  });

  it('is congested when connected with a full queue, and wakes waiters when it has room', () => {
    const { queue, confirm } = setup({ maxInflight: 1, maxQueued: 1 });
    queue.setAvailable(true);
    queue.offer(job(1));
    queue.offer(job(2));
    expect(queue.congested).toBe(true);
    let resumed = false;
    queue.whenUncongested(() => (resumed = true));
    expect(resumed).toBe(false);
    confirm(1);
    expect(resumed).toBe(true);
    expect(queue.congested).toBe(false);
  });

  it('wakes congestion waiters when the target goes down', () => {
    const { queue } = setup({ maxInflight: 1, maxQueued: 1 });
    queue.setAvailable(true);
    queue.offer(job(1));
    queue.offer(job(2));
    let resumed = false;
    queue.whenUncongested(() => (resumed = true));
    queue.setAvailable(false);
    expect(resumed).toBe(true);
  });

  it('settles a QoS 0 write still waiting for the socket as lost when the connection drops, and ignores its late callback', () => {
    const { queue, settled, confirm } = setup();
    queue.setAvailable(true);
    queue.offer(job(1, 0));
    queue.setAvailable(false);
    expect(settled).toEqual([[1, 'lost']]);
    confirm(1);
    expect(settled).toEqual([[1, 'lost']]);
    expect(queue.inflight).toBe(0);
  });

  it('keeps QoS 1 publishes in flight across a disconnect (the MQTT client re-sends them)', () => {
    const { queue, settled, confirm } = setup();
    queue.setAvailable(true);
    queue.offer(job(1, 1));
    queue.setAvailable(false);
    expect(queue.inflight).toBe(1);
    confirm(1);
    expect(settled).toEqual([[1, 'sent']]);
  });

  it('stops after a QoS 0 write that waits for drain (socket backed up)', () => {
    const { queue, published, confirm } = setup({ maxInflight: 10 });
    queue.setAvailable(true);
    queue.offer(job(1, 0));
    queue.offer(job(2, 0));
    expect(published.map((j) => j.id)).toEqual([1]);
    confirm(1);
    expect(published.map((j) => j.id)).toEqual([1, 2]);
  });

  it('passes publish errors to settle', () => {
    const { queue, settled, confirm } = setup();
    queue.setAvailable(true);
    queue.offer(job(1));
    const error = new Error('refused');
    confirm(1, error);
    expect(settled).toEqual([[1, error]]);
  });

  it('publishes synchronously completing QoS 0 messages back to back', () => {
    const { queue, published, settled } = setup({ sync: true, maxInflight: 1 });
    queue.setAvailable(true);
    for (const id of [1, 2, 3]) queue.offer(job(id, 0));
    expect(published.map((j) => j.id)).toEqual([1, 2, 3]);
    expect(settled.map(([id]) => id)).toEqual([1, 2, 3]);
    expect(queue.idle).toBe(true);
  });

  it('never exceeds a lowered in-flight limit (MQTT 5 Receive Maximum)', () => {
    const { queue, published } = setup({ maxInflight: 5 });
    queue.setMaxInflight(1);
    queue.setAvailable(true);
    for (const id of [1, 2, 3]) queue.offer(job(id));
    expect(published.length).toBe(1);
  });

  it('sends a publish again, in its original order and before newer messages, when it must be retried; it is never settled as failed', () => {
    const { queue, published, settled, confirm } = setup({ maxInflight: 3, maxQueued: 10 });
    queue.setAvailable(true);
    for (const id of [1, 2, 3, 4]) queue.offer(job(id));
    expect(published.map((j) => j.id)).toEqual([1, 2, 3]);
    // The connection went away while 2 and 3 waited behind the resend of the session.
    queue.setAvailable(false);
    confirm(2, RETRY);
    confirm(3, RETRY);
    expect(queue.inflight).toBe(1);
    expect(queue.queued).toBe(3);
    queue.setAvailable(true);
    expect(published.map((j) => j.id)).toEqual([1, 2, 3, 2, 3]);
    confirm(1);
    expect(published.map((j) => j.id)).toEqual([1, 2, 3, 2, 3, 4]);
    expect(settled).toEqual([[1, 'sent']]);
    expect(queue.idle).toBe(false);
  });
});
