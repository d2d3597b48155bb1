// QoS and retain decisions for one forwarded message (pure).

import type { QosPolicy, RetainHandling } from '../config/schema.js';
import type { QoS } from '../qos.js';

export function forwardedQos(policy: QosPolicy, received: QoS): QoS {
  return policy === 'preserve' ? received : policy;
}

export interface ReceivedRetain {
  /** The RETAIN flag of the PUBLISH as delivered to the forwarder. */
  retain: boolean;
  emptyPayload: boolean;
  protocolVersion: 4 | 5;
}

/**
 * The retain flag to publish with, or null to skip the message.
 *
 * "preserve": MQTT 5 sources subscribe with Retain As Published, so the flag is
 * the publisher's. MQTT 3.1.1 brokers set RETAIN only on stored messages sent
 * for a new subscription [MQTT-3.3.1-8] and clear it on live ones
 * [MQTT-3.3.1-9], so a live retained delete arrives as an empty, non-retained
 * message: on 3.1.1, empty payloads are forwarded as retained deletes.
 * "strip": never set RETAIN. "drop": skip messages that arrive retained.
 */
export function forwardedRetain(handling: RetainHandling, received: ReceivedRetain): boolean | null {
  switch (handling) {
    case 'preserve':
      return received.retain || (received.protocolVersion === 4 && received.emptyPayload);
    case 'strip':
      return false;
    case 'drop':
      return received.retain ? null : false;
  }
}
