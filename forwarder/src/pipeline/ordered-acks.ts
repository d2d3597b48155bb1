// Pipelined intake with in-order acknowledgements. mqtt.js hands the
// application one PUBLISH at a time; holding that hand-off until the target
// confirms serializes the stream (one upstream round trip per message). The
// protocol allows a receiver to keep many messages in flight as long as it
// sends PUBACK / PUBREC in the order the PUBLISH packets arrived
// [MQTT-4.6.0-2] [MQTT-4.6.0-3], so each QoS 1/2 message gets a slot here;
// slots complete in any order and acks leave strictly in arrival order.

import type { QoS } from '../qos.js';
import { Deque } from './deque.js';

export type AckQos = Exclude<QoS, 0>;

export interface AckSlot {
  readonly messageId: number;
  readonly qos: AckQos;
  /** `now()` when the PUBLISH was accepted. */
  readonly acceptedAt: number;
  /** The connection the PUBLISH arrived on; acks never cross connections. */
  readonly generation: number;
  done: boolean;
}

/** Sends the PUBACK (qos 1) or PUBREC (qos 2) for a message id. */
export type AckSender = (qos: AckQos, messageId: number) => void;

export interface OrderedAcksOptions {
  /** Most slots held at once; intake pauses when reached. */
  capacity: number;
  send: AckSender;
  /** Clock in ms (injected for tests). Default: `performance.now`. */
  now?: () => number;
}

export class OrderedAcks {
  private readonly slots = new Deque<AckSlot>();
  private readonly waiters: Array<() => void> = [];
  private readonly send: AckSender;
  private readonly now: () => number;
  private capacity: number;
  private generation = 0;
  /** Acks sent since creation. */
  sent = 0;

  constructor(options: OrderedAcksOptions) {
    this.capacity = options.capacity;
    this.send = options.send;
    this.now = options.now ?? (() => performance.now());
  }

  /** Slots whose ack has not been sent yet. */
  get size(): number {
    return this.slots.length;
  }

  get isFull(): boolean {
    return this.slots.length >= this.capacity;
  }

  /** Registers a PUBLISH in arrival order; its ack leaves once it and all earlier slots completed. */
  push(messageId: number, qos: AckQos): AckSlot {
    const slot: AckSlot = { messageId, qos, acceptedAt: this.now(), generation: this.generation, done: false };
    this.slots.push(slot);
    return slot;
  }

  /** Marks a slot as handled (target confirmed, or dropped for good). Stale slots are ignored. */
  complete(slot: AckSlot): void {
    if (slot.done) return;
    slot.done = true;
    if (slot.generation !== this.generation) return;
    for (let head = this.slots.peek(); head?.done === true; head = this.slots.peek()) {
      this.slots.shift();
      this.sent++;
      this.send(head.qos, head.messageId);
    }
    if (!this.isFull) this.releaseWaiters();
  }

  /** Calls `resume` now if a slot is free, else once one frees up (or on {@link reset}). */
  whenSpace(resume: () => void): void {
    if (this.isFull) this.waiters.push(resume);
    else resume();
  }

  /**
   * The connection ended: its acks can no longer be sent (the broker redelivers
   * those messages on a resumed session). Returns the slots whose ack was not sent.
   */
  reset(): AckSlot[] {
    this.generation++;
    const unsent = this.slots.drain();
    this.releaseWaiters();
    return unsent;
  }

  setCapacity(capacity: number): void {
    this.capacity = capacity;
    if (!this.isFull) this.releaseWaiters();
  }

  /** Age in ms of the oldest slot still waiting, 0 when none. */
  oldestAgeMs(): number {
    const head = this.slots.peek();
    return head === undefined ? 0 : this.now() - head.acceptedAt;
  }

  private releaseWaiters(): void {
    while (this.waiters.length > 0 && !this.isFull) (this.waiters.shift() as () => void)();
  }
}
