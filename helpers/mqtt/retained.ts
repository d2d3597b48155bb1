import type { ISubscriptionGrant, ISubscriptionMap } from 'mqtt';
import type { Qos } from '../forwarders/forwarder.js';
import type { TestClient } from './client.js';
import type { MessageCollector, ReceivedMessage } from './collector.js';

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
 * ([MQTT-3.8.4-3]).
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
  await subscriber.messages.waitForMessage(
    (m) => m.topic === control.topic && m.retain && m.payload.equals(control.payload),
    timeoutMs,
    `the retained control message on ${control.topic}`,
    from,
  );
  // A QoS 2 retained message that came before the control reaches the application only at its PUBREL.
  await subscriber.released(timeoutMs);
  return granted.filter((g) => g.topic !== control.topic);
}
