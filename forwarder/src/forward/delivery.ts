// One accepted source message and the publishes it turned into. A QoS 1/2
// source message is acknowledged (in order, by OrderedAcks) once every one of
// its publishes is settled: confirmed by the target, or dropped for good.

import type { IPublishPacket } from 'mqtt';
import type { AckSlot, OrderedAcks } from '../pipeline/ordered-acks.js';
import type { Outbound } from '../pipeline/target-queue.js';

export interface Delivery {
  /** Publishes not settled yet. */
  pending: number;
  /** Every publish settled. */
  done: boolean;
  topic: string;
  acks: OrderedAcks;
  slot: AckSlot;
  /** Slots of redeliveries (DUP) attached to this delivery instead of forwarding again. */
  extraSlots: AckSlot[] | null;
}

export interface ForwardJob extends Outbound {
  /** null for QoS 0 source messages (nothing to acknowledge). */
  delivery: Delivery | null;
  rule: string;
  sourceTopic: string;
  properties: IPublishPacket['properties'] | undefined;
}

export function finishDelivery(delivery: Delivery): void {
  delivery.done = true;
  delivery.acks.complete(delivery.slot);
  if (delivery.extraSlots) for (const slot of delivery.extraSlots) delivery.acks.complete(slot);
}

/** One publish of the delivery is settled. */
export function settlePart(delivery: Delivery | null): void {
  if (delivery !== null && --delivery.pending === 0) finishDelivery(delivery);
}

/** A redelivery of a message this process already accepted on a previous connection. */
export function attachRedelivery(delivery: Delivery, slot: AckSlot): void {
  if (delivery.done) {
    delivery.acks.complete(slot);
    return;
  }
  (delivery.extraSlots ??= []).push(slot);
}
