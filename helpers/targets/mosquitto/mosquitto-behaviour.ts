import { spawnSync } from 'node:child_process';
import type { BrokerBehaviour, RuntimeKind, Settings } from '../../model/index.js';
import { asSpec, choice, imageVersion, limit, MQTT_311_SPEC, versionAtLeast } from '../behaviour.js';
import { mosquittoBinary, mosquittoImage } from './mosquitto-settings.js';

const CONF = 'https://mosquitto.org/man/mosquitto-conf-5.html';
const INFLIGHT_FIX = 'https://mosquitto.org/blog/2021/10/version-2-0-13-released/';
/** "Various fixes around inflight quota management" (eclipse-mosquitto/mosquitto#2306). */
const INFLIGHT_FIXED_IN = '2.0.13';

/** Mosquitto's behaviour table for the version that runs in `runtime` (image tag, or `mosquitto -h` of the binary). */
export function mosquittoBehaviour(settings: Settings, runtime: RuntimeKind): BrokerBehaviour {
  const version = runtime === 'container' ? imageVersion(mosquittoImage(settings)) : binaryVersion(settings);
  return behaviourOf(version);
}

export function behaviourOf(version: string): BrokerBehaviour {
  const stallsBehindWindow = !versionAtLeast(version, INFLIGHT_FIXED_IN) && version !== 'unknown';
  return {
    version,
    maxQos: choice(2, 'Grants every QoS asked for (max_qos, default 2).', CONF),
    qos2Publish: asSpec(true, 'QoS 2 publishes get the full PUBREC/PUBREL/PUBCOMP handshake.', CONF),
    retainedDeliveryQos: asSpec(
      'min(retained, granted)',
      'A retained message is sent to a new subscription at min(its QoS, the granted QoS), as the spec says.',
      MQTT_311_SPEC,
    ),
    retainedToWildcardSubscriptions: asSpec(
      true,
      'Wildcard subscriptions get every matching retained message.',
      MQTT_311_SPEC,
    ),
    queuesQos0WhileOffline: choice(
      false,
      'QoS 0 is not queued for offline persistent sessions (queue_qos0_messages, default false).',
      CONF,
    ),
    mqtt5: choice(true, 'MQTT 5 is supported (since 1.6).', CONF),
    sessionExpiry: choice(true, 'MQTT 5 Session Expiry Interval is honoured.', CONF),
    limits: [
      limit(
        'max_inflight_messages 20 and max_queued_messages 1000 by default; the generated configuration sets no in-flight window (0) and 1,000,000 queued messages, as production deployments raise them.',
        CONF,
        'in-flight 20, queued 1000 (raised here)',
      ),
      ...(stallsBehindWindow
        ? [
            limit(
              `Mosquitto ${version} stalls QoS 2 deliveries queued behind a full in-flight window (20 by default): a stock broker delivers 20 of 210 QoS 2 messages to a slow subscriber; fixed in ${INFLIGHT_FIXED_IN} ("various fixes around inflight quota management"). The generated configuration has no window, so the suites do not run into it; mqtt-testbench load against a stock broker reports the stall as loss.`,
              INFLIGHT_FIX,
              `QoS 2 in-flight stall before ${INFLIGHT_FIXED_IN}`,
            ),
          ]
        : []),
    ],
    notes: [],
  };
}

/** `mosquitto -h` prints `mosquitto version 2.0.11` first; unknown when no binary is there. */
function binaryVersion(settings: Settings): string {
  const binary = mosquittoBinary(settings);
  if (!binary) return 'unknown';
  const help = spawnSync(binary, ['-h'], { encoding: 'utf8', timeout: 5_000 });
  return /mosquitto version (\S+)/.exec(`${help.stdout ?? ''}${help.stderr ?? ''}`)?.[1] ?? 'unknown';
}
