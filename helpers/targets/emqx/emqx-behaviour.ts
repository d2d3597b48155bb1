import type { BrokerBehaviour } from '../../model/index.js';
import { asSpec, choice, limit, MQTT_5_SPEC } from '../behaviour.js';

/** EMQX's configuration reference (every `mqtt.*`, `retainer.*` and `force_shutdown.*` option with its default). */
const CONFIG = 'https://docs.emqx.com/en/emqx/v5.8/hocon/';
const RETAINED = 'https://docs.emqx.com/en/emqx/v5.8/messaging/mqtt-retained-message.html';
/** emqx_utils:check_oom/2 and tune_heap_size/1: what `force_shutdown` does to a connection process. */
const FORCE_SHUTDOWN_SOURCE = 'https://github.com/emqx/emqx/blob/v5.8.8/apps/emqx_utils/src/emqx_utils.erl';
const DOCKER_ENTRYPOINT = 'https://github.com/emqx/emqx-docker/blob/master/5.5/docker-entrypoint.sh';

/**
 * EMQX 5.8's behaviour table, as configured by EmqxContainer (read against the 5.8.8 sources and
 * documentation: no image of it can run on this project's development machines).
 */
export function emqxBehaviour(version: string): BrokerBehaviour {
  return {
    version,
    maxQos: choice(2, 'Grants every QoS asked for (mqtt.max_qos_allowed, default 2).', CONFIG),
    qos2Publish: asSpec(true, 'QoS 2 publishes get the full PUBREC/PUBREL/PUBCOMP handshake.', CONFIG),
    retainedDeliveryQos: asSpec(
      'min(retained, granted)',
      'A retained message is sent to a new subscription at min(its QoS, the granted QoS).',
      RETAINED,
    ),
    retainedToWildcardSubscriptions: asSpec(
      true,
      'Wildcard subscriptions get every matching retained message.',
      RETAINED,
    ),
    queuesQos0WhileOffline: choice(
      true,
      'QoS 0 is queued for offline persistent sessions (mqtt.mqueue_store_qos0, default true).',
      CONFIG,
    ),
    mqtt5: choice(true, 'MQTT 5 is supported.', MQTT_5_SPEC),
    sessionExpiry: choice(
      true,
      'The MQTT 5 Session Expiry Interval is honoured; MQTT 3.1.1 persistent sessions expire after mqtt.session_expiry_interval (default 2h).',
      CONFIG,
    ),
    limits: [
      limit(
        'force_shutdown (enabled by default) shuts a connection down, and its in-memory session with it, when its process mailbox exceeds max_mailbox_size (1,000 messages) or its heap max_heap_size (32 MB): a slow subscriber behind a paused forwarder or the 1,000-publisher scenario runs into it, and the loss would be blamed on the forwarder. The testbench disables it (EMQX_FORCE_SHUTDOWN__ENABLE=false: check_oom and the heap limit are skipped).',
        FORCE_SHUTDOWN_SOURCE,
        'disabled here (default: mailbox 1,000, heap 32 MB)',
      ),
      limit(
        'mqtt.max_mqueue_len 1000, mqtt.max_inflight 32, mqtt.max_awaiting_rel 100 by default; raised here to 1,000,000 / 1,000 / 10,000, as production deployments raise them.',
        CONFIG,
        'queue 1000, in-flight 32, awaiting PUBREL 100 (raised here)',
      ),
    ],
    notes: [
      'Sessions live in memory: a broker restart ends them (durable sessions are off by default).',
      `The image derives its Erlang node name from the container's IP unless EMQX_NODE_NAME is set, and disc-stored retained messages live under that name: the testbench pins EMQX_NODE_NAME so they survive a restart (${DOCKER_ENTRYPOINT}).`,
    ],
  };
}
