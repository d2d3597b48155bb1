import type { BrokerBehaviour } from '../../model/index.js';
import { asSpec, choice, deviation, limit, versionAtLeast } from '../behaviour.js';

const DOCS = 'https://www.rabbitmq.com/docs/mqtt';
const RETAINED_DOCS = 'https://www.rabbitmq.com/docs/mqtt#retained';
const MQTT5_BLOG = 'https://www.rabbitmq.com/blog/2023/07/21/mqtt5';
/** What 3.10 does, where its documentation is silent: its MQTT plugin's source at the Debian version. */
const SOURCE_3_10 =
  'https://github.com/rabbitmq/rabbitmq-server/blob/v3.10.8/deps/rabbitmq_mqtt/src/rabbit_mqtt_processor.erl';
/** "Furthermore, wildcards in topic filters are not supported for retained messages." */
const WILDCARD_ISSUE = 'https://github.com/rabbitmq/rabbitmq-server/issues/8824';
/** MQTT 5 (and its Maximum QoS in CONNACK) arrived in 3.13. */
const MQTT5_SINCE = '3.13';

/**
 * RabbitMQ's behaviour table, keyed by version: Debian 12's 3.10 (the process runtime and the
 * offline image) speaks MQTT 3.1.1 only; the official 3.13+ and 4.x images add MQTT 5. Neither
 * supports QoS 2. Verified against 3.10.8 on this machine (mosquitto clients and the suites); the
 * 3.13+ entries follow RabbitMQ's documentation (no image of it can be pulled here).
 */
export function rabbitmqBehaviour(version: string): BrokerBehaviour {
  // A floating tag (`rabbitmq:4`, `latest`) is taken as a current image.
  const modern = version === 'unknown' || versionAtLeast(version, MQTT5_SINCE);
  return {
    version,
    maxQos: choice(
      1,
      modern
        ? 'Grants at most QoS 1 ("QoS 0 and QoS 1 publish & subscribe"): a QoS 2 subscription is granted, and delivered, QoS 1.'
        : 'Grants at most QoS 1 (supported_subs_qos): a QoS 2 subscription is granted, and delivered, QoS 1.',
      modern ? `${DOCS}#features` : SOURCE_3_10,
    ),
    qos2Publish: deviation(
      false,
      modern
        ? 'QoS 2 is not supported: an MQTT 3.1.1 QoS 2 PUBLISH is downgraded to QoS 1 and answered with a PUBACK instead of a PUBREC; MQTT 5 clients are told Maximum QoS 1 in the CONNACK and a QoS 2 PUBLISH is refused.'
        : 'A QoS 2 PUBLISH is downgraded to QoS 1 and answered with a PUBACK instead of a PUBREC [MQTT-4.3.3]: a spec client never completes it (mosquitto_pub stalls once 20 are in flight), and delivery is at least once.',
      modern ? `${DOCS}#features` : SOURCE_3_10,
    ),
    retainedDeliveryQos: asSpec(
      'min(retained, granted)',
      'A retained message is sent to a new subscription at min(its QoS, the granted QoS).',
      modern ? RETAINED_DOCS : SOURCE_3_10,
    ),
    retainedToWildcardSubscriptions: deviation(
      false,
      'Retained messages are sent only to subscriptions whose filter names the topic exactly: a filter with a wildcard gets none [MQTT-3.3.1-6].',
      modern ? RETAINED_DOCS : WILDCARD_ISSUE,
    ),
    queuesQos0WhileOffline: choice(
      true,
      "QoS 0 messages are queued for an offline persistent session that subscribed at QoS 1 (its durable queue holds them; they are delivered at QoS 0); a QoS 0 subscription's queue keeps nothing.",
      modern ? `${DOCS}#implementation` : SOURCE_3_10,
    ),
    mqtt5: modern
      ? choice(true, 'MQTT 5 is supported (since 3.13).', MQTT5_BLOG)
      : choice(
          false,
          'MQTT 3.1 and 3.1.1 only: MQTT 5 arrived in 3.13, and a CONNECT at protocol level 5 is refused.',
          MQTT5_BLOG,
        ),
    sessionExpiry: modern
      ? choice(
          true,
          'The MQTT 5 Session Expiry Interval is honoured, up to mqtt.max_session_expiry_interval_seconds (1 day by default).',
          DOCS,
        )
      : choice(false, 'No MQTT 5, so no Session Expiry Interval.', MQTT5_BLOG),
    limits: [
      limit(
        'mqtt.prefetch: at most that many unacknowledged QoS 1 deliveries per subscriber, an in-flight window; 10 by default, raised to 1,000 here, as production deployments raise it.',
        DOCS,
        'in-flight 10 (raised here)',
      ),
      limit(
        'Retained messages are stored on the node the client is connected to (not replicated in a cluster).',
        RETAINED_DOCS,
        'node-local retained store',
      ),
      ...(modern
        ? [
            limit(
              'mqtt.mailbox_soft_limit (200): QoS 0 messages for a clean-session QoS 0 subscriber that does not keep up are dropped.',
              `${DOCS}#qos0-queue-type`,
              'QoS 0 overload drop',
            ),
          ]
        : []),
    ],
    notes: [
      'Every start is a fresh node (its own node name, data folder, ports and epmd); persistent sessions are durable queues and retained messages a DETS file in its data folder, so a restart with the same folder keeps both.',
    ],
  };
}
