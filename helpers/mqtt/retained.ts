import type { ISubscriptionGrant, ISubscriptionMap } from 'mqtt';
import type { Qos } from '../model/index.js';
import type { TestClient } from './client.js';
import { describeMessage, type MessageCollector, type ReceivedMessage } from './collector.js';
import { isMarkerOf, type MarkerSender } from './marker.js';

/**
 * Publishes a retained message (or, with an empty payload, a retained delete) and waits until
 * `watcher` — a collector subscribed to the topic before the publish — has received it live.
 * Brokers store or clear the retained message before they fan the publish out (Mosquitto, aedes;
 * a delete is "processed as normal" and delivered live too, [MQTT-3.3.1-10] in 3.1.1,
 * [MQTT-3.3.1-6] in 5), so a subscription made after this sees the new retained state. A plain
 * PUBACK is not enough: it confirms receipt, and QoS 0 has no acknowledgement at all.
 * `expectTopic` is where the watcher sees it (through a forwarder: the upstream topic).
 */
export async function publishRetained(
  publisher: TestClient,
  watcher: MessageCollector,
  options: { topic: string; payload: Buffer; qos: Qos; timeoutMs: number; expectTopic?: string },
): Promise<ReceivedMessage> {
  const expectTopic = options.expectTopic ?? options.topic;
  const from = watcher.count;
  await publisher.publish(options.topic, options.payload, { qos: options.qos, retain: true });
  const what = options.payload.length === 0 ? 'retained delete (empty payload)' : 'retained publish';
  return watcher.waitForMessage(
    (m) => m.topic === expectTopic && m.payload.equals(options.payload),
    options.timeoutMs,
    `the live copy of the ${what} on ${expectTopic} at the watching subscriber`,
    from,
  );
}

/**
 * Publishes a retained delete (empty payload, QoS 1) on `topic` and waits until the broker has
 * handled it, without waiting for the delete itself: a marker from the same client on the same
 * topic at the same QoS follows it, and a broker handles one connection's publishes in order, so
 * once `watcher` (subscribed to the topic before) has the marker, the delete was handled, and its
 * live copy, if the broker sent one, arrived before the marker (Ordered Topic, marker.ts). Returns
 * that live copy: a delete is "processed as normal" and sent to matching subscriptions
 * ([MQTT-3.3.1-10] in 3.1.1, [MQTT-3.3.1-6] in 5). A broker that ignores the delete ends this
 * just as fast; what is wrong is then for the caller to say (the old retained message is still
 * there), not a timeout here.
 */
export async function deleteRetained(
  publisher: TestClient,
  markers: MarkerSender,
  watcher: MessageCollector,
  options: { topic: string; timeoutMs: number },
): Promise<ReceivedMessage | undefined> {
  const from = watcher.count;
  await publisher.publish(options.topic, Buffer.alloc(0), { qos: 1, retain: true });
  const marker = await markers.send(options.topic, 1);
  await watcher.waitForMessage(
    (m) => isMarkerOf(marker, m),
    options.timeoutMs,
    `the marker published on ${options.topic} right after the retained delete`,
    from,
  );
  return watcher.messages.slice(from).find((m) => m.topic === options.topic && m.payload.length === 0);
}

/** A retained message of the test's own, used to prove what other subscriptions did not get. */
export interface RetainedControl {
  topic: string;
  payload: Buffer;
}

/**
 * Subscribes to `filters` and, in the same SUBSCRIBE packet after them, to the control topic, then
 * waits until the control's retained message arrived. A SUBSCRIBE with several filters is handled
 * as a sequence of SUBSCRIBEs in that order ([MQTT-3.8.4-4] in 3.1.1, [MQTT-3.8.4-5] in 5), and a
 * new subscription's retained messages are sent as it is handled ([MQTT-3.3.1-6] in 3.1.1, retain
 * handling 0 [MQTT-3.3.1-9] in 5); Mosquitto and aedes send them in filter order even when they
 * stream them asynchronously (aedes: one stream over the packet's filters). So once the control's
 * retained message is here, every retained message the filters before it got is here too: what
 * has not arrived by then was not sent. This is the retained-message counterpart of a marker
 * (helpers/mqtt/marker.ts). Separate SUBSCRIBE packets would not do: aedes streams each
 * packet's retained messages on its own, and a later, shorter stream can overtake an earlier one.
 * EMQX's retainer dispatches each filter on its own, so there the proof of absence is weaker;
 * what is expected to arrive is waited for explicitly (`expected`) so it never fails for that.
 * Repeatable: subscribing again replaces the subscription and re-sends its retained message
 * ([MQTT-3.8.4-3]). A control that arrives without its RETAIN flag fails the call at once, saying so.
 */
export async function subscribeWithControl(
  subscriber: TestClient,
  filters: ISubscriptionMap,
  control: RetainedControl,
  timeoutMs: number,
  /**
   * What the filters are expected to get, over the messages that arrived since this SUBSCRIBE:
   * waited for (bounded, ending early) before the control is trusted, because a broker that
   * dispatches each filter's retained messages on its own (EMQX's retainer) may send the
   * control's first. A timeout here is not thrown: the caller's assertions say what is missing.
   */
  expected?: (since: readonly ReceivedMessage[]) => boolean,
): Promise<ISubscriptionGrant[]> {
  if (control.topic in filters)
    throw new Error(`the control topic ${control.topic} must not be one of the filters under test`);
  const from = subscriber.messages.count;
  const granted = await subscriber.subscribe({ ...filters, [control.topic]: { qos: 1 } });
  if (expected) await subscriber.messages.waitFor((all) => expected(all.slice(from)), timeoutMs).catch(() => undefined);
  // Waited for whatever its flags: a copy without RETAIN is a broken broker, said so below, not a timeout.
  const arrived = await subscriber.messages.waitForMessage(
    (m) => m.topic === control.topic && m.payload.equals(control.payload),
    timeoutMs,
    `the retained control message on ${control.topic}`,
    from,
  );
  if (!arrived.retain) {
    const since = subscriber.messages.messages.slice(from).map(describeMessage).join('; ');
    throw new Error(
      `the retained message on ${control.topic} arrived at a new subscription without its RETAIN flag (retain=0); a retained message sent because of a new subscription carries RETAIN=1 ([MQTT-3.3.1-8] in 3.1.1, §3.3.1.3 in 5). Received since the SUBSCRIBE: ${since}`,
    );
  }
  // A QoS 2 retained message that came before the control reaches the application only at its PUBREL.
  await subscriber.released(timeoutMs);
  return granted.filter((g) => g.topic !== control.topic);
}
