import type { Qos } from '../model/index.js';
import { createProbeMessage, decodeMessage } from '../load/payload/index.js';
import type { TestClient } from './client.js';
import type { ReceivedMessage } from './collector.js';

/**
 * Markers prove that something did NOT arrive, without a fixed sleep.
 *
 * A server sends the PUBLISH packets it received from one client, for the same topic and QoS, to
 * each subscriber in the order it received them (Ordered Topic, MQTT 3.1.1 and 5 §4.6,
 * [MQTT-4.6.0-5] and [MQTT-4.6.0-6]). So when a marker is published after the messages that must
 * not be delivered — by the same client, on the same topic, at the same QoS — and the marker has
 * arrived, any of those messages the broker did deliver would have arrived before it. Waiting for
 * the marker is a bounded wait that ends as soon as the broker has caught up.
 *
 * Through a forwarder the rule binds each broker but not the forwarder (it is a client): there the
 * marker means "the forwarder passed everything it forwards in order", which the suites say.
 *
 * Marker payloads carry identity and a CRC like every probe message, from a publisher id of their
 * own (`mk-<client id>`), so trackers tell them apart from the messages under test.
 */
export const MARKER_PREFIX = 'mk-';

export interface Marker {
  publisherId: string;
  seq: number;
  /** Topic the marker was published on. */
  topic: string;
  qos: Qos;
}

/** Publishes numbered markers from one client. */
export class MarkerSender {
  readonly publisherId: string;
  private next = 0;

  constructor(private readonly publisher: TestClient) {
    this.publisherId = `${MARKER_PREFIX}${publisher.clientId}`;
  }

  /** Publishes a (non-retained) marker and waits until the client confirmed it. */
  async send(topic: string, qos: Qos): Promise<Marker> {
    const seq = this.next++;
    await this.publisher.publish(topic, createProbeMessage({ publisherId: this.publisherId, seq }), {
      qos,
      retain: false,
    });
    return { publisherId: this.publisherId, seq, topic, qos };
  }
}

/** True for a message whose payload is a marker (any sender). */
export function isMarker(message: ReceivedMessage): boolean {
  const decoded = decodeMessage(message.payload);
  return decoded.kind === 'ok' && decoded.publisherId.startsWith(MARKER_PREFIX);
}

/** True for the delivery of this very marker (on any topic: a forwarder may rename it). */
export function isMarkerOf(marker: Marker, message: ReceivedMessage): boolean {
  const decoded = decodeMessage(message.payload);
  return decoded.kind === 'ok' && decoded.publisherId === marker.publisherId && decoded.seq === marker.seq;
}
