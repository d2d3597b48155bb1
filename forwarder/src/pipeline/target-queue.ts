// Outbound flow control for one target client: a FIFO of messages waiting for
// the connection (or for an in-flight slot), and a bounded number of publishes
// handed to the MQTT client and not yet confirmed (PUBACK / PUBCOMP, or the
// socket write for QoS 0). Only QoS 0 source messages may be dropped when the
// queue is full; QoS 1/2 ones are bounded by the sources' in-flight limits.

import type { QoS } from '../qos.js';
import { Deque } from './deque.js';

export interface Outbound {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** May be dropped with reason queue_full (the source message was QoS 0). */
  droppable: boolean;
}

/** How a publish ended: confirmed/written, failed with an error, or lost with its connection (QoS 0). */
export type Outcome = 'sent' | 'lost' | Error;

/**
 * Publishes one message; must call `done` once (mqtt.js publish callback semantics). `RETRY`: the
 * publish never reached the broker's store (its connection went away first) and must be sent
 * again once the target is available; it is not settled.
 */
export type PublishFn<M extends Outbound> = (message: M, done: (error?: Error | typeof RETRY) => void) => void;

export const RETRY = Symbol('retry');

export interface TargetQueueOptions<M extends Outbound> {
  maxInflight: number;
  maxQueued: number;
  publish: PublishFn<M>;
  /** Called exactly once per message that was accepted by {@link TargetQueue.offer}. */
  settle: (message: M, outcome: Outcome) => void;
}

interface Flight<M> {
  message: M;
  settled: boolean;
}

export class TargetQueue<M extends Outbound> {
  private readonly waiting = new Deque<M>();
  /** Publishes to send again, in their original order, before anything waiting. */
  private readonly retrying = new Deque<M>();
  /** QoS 0 publishes whose socket write has not completed (lost if the connection drops). */
  private readonly unwrittenQos0 = new Set<Flight<M>>();
  private readonly options: TargetQueueOptions<M>;
  private readonly uncongestedWaiters: Array<() => void> = [];
  private maxInflight: number;
  private available = false;
  private pumping = false;
  private inflightCount = 0;

  constructor(options: TargetQueueOptions<M>) {
    this.options = options;
    this.maxInflight = options.maxInflight;
  }

  get queued(): number {
    return this.waiting.length + this.retrying.length;
  }

  get inflight(): number {
    return this.inflightCount;
  }

  /**
   * Connected but unable to keep up: the queue is full. Sources pause intake
   * instead of dropping (TCP backpressure to the source broker). A target that
   * is down is not congested: QoS 0 overflow is dropped, the sources keep flowing.
   */
  get congested(): boolean {
    return this.available && this.waiting.length >= this.options.maxQueued;
  }

  /** Calls `resume` now if not congested, else once the queue has room or the target goes down. */
  whenUncongested(resume: () => void): void {
    if (this.congested) this.uncongestedWaiters.push(resume);
    else resume();
  }

  get idle(): boolean {
    return this.waiting.length === 0 && this.retrying.length === 0 && this.inflightCount === 0;
  }

  /** Queues a message; false if it was dropped because the queue is full. */
  offer(message: M): boolean {
    if (message.droppable && this.waiting.length >= this.options.maxQueued) return false;
    this.waiting.push(message);
    this.pump();
    return true;
  }

  /** Connection state: publishes start when available; QoS 0 writes in progress are lost when it goes. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) {
      const lost = [...this.unwrittenQos0];
      this.unwrittenQos0.clear();
      for (const flight of lost) this.finish(flight, 'lost');
      this.releaseUncongested();
      return;
    }
    this.pump();
  }

  /** E.g. the v5 Receive Maximum the broker announced in CONNACK. */
  setMaxInflight(maxInflight: number): void {
    this.maxInflight = Math.max(1, maxInflight);
    this.pump();
  }

  /** Removes every waiting message (shutdown); they are returned, not settled. */
  takeWaiting(): M[] {
    return [...this.retrying.drain(), ...this.waiting.drain()];
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // A QoS 0 write waiting for 'drain' means the socket is backed up: stop there.
      while (this.available && this.unwrittenQos0.size === 0 && this.inflightCount < this.maxInflight) {
        const message = this.retrying.shift() ?? this.waiting.shift();
        if (message === undefined) break;
        this.send(message);
      }
    } finally {
      this.pumping = false;
    }
    this.releaseUncongested();
  }

  private releaseUncongested(): void {
    while (this.uncongestedWaiters.length > 0 && !this.congested) (this.uncongestedWaiters.shift() as () => void)();
  }

  private send(message: M): void {
    const flight: Flight<M> = { message, settled: false };
    this.inflightCount++;
    let returned = false;
    this.options.publish(message, (error) => {
      this.unwrittenQos0.delete(flight);
      if (error === RETRY) this.retry(flight);
      else this.finish(flight, error ?? 'sent');
      if (returned) this.pump();
    });
    returned = true;
    if (!flight.settled && message.qos === 0) this.unwrittenQos0.add(flight);
  }

  private retry(flight: Flight<M>): void {
    if (flight.settled) return;
    flight.settled = true;
    this.inflightCount--;
    this.retrying.push(flight.message);
  }

  private finish(flight: Flight<M>, outcome: Outcome): void {
    if (flight.settled) return;
    flight.settled = true;
    this.inflightCount--;
    this.options.settle(flight.message, outcome);
  }
}
