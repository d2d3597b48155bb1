import type { Availability, BrokerBehaviour, RuntimeKind, Settings, StartedBroker } from '../../model/index.js';
import { opensslAvailability, SECURE_TOPIC_FILTER, SECURE_USERNAME, securityMaterial } from '../security-material.js';
import type { BrokerStartRequest, Target } from '../target.js';
import { behaviourOf, mosquittoBehaviour } from './mosquitto-behaviour.js';
import {
  MOSQUITTO_RESTART,
  mosquittoAvailability,
  startAsProcess,
  startInContainer,
  type MosquittoVariant,
} from './mosquitto-target.js';

/**
 * What Mosquitto 2.0 does when the ACL denies something (observed with 2.0.11, asserted by
 * suites/security.test.ts): it checks read access per delivered message, not at SUBSCRIBE, so a
 * SUBSCRIBE outside the allowed filter is granted (no 0x80 / 0x87 in the SUBACK) and delivers
 * nothing; a denied PUBLISH is dropped, silently on MQTT 3.1.1 (QoS 1 PUBACK / QoS 2 PUBREC as if
 * accepted) and with reason code 0x87 Not authorized in the PUBACK / PUBREC on MQTT 5.
 */
export const ACL_DENIAL_NOTE =
  'ACL denials (Mosquitto 2.0): a SUBSCRIBE outside the allowed filter is granted but delivers nothing (read access is checked per message); a PUBLISH outside it is dropped, silently on MQTT 3.1.1 (still acknowledged), with PUBACK/PUBREC reason 0x87 Not authorized on MQTT 5.';

/** Mosquitto's table, plus what the secured deployment adds. */
function secured(plain: BrokerBehaviour): BrokerBehaviour {
  return {
    ...plain,
    notes: [
      ...plain.notes,
      `Secured: TLS only (mqtts, a CA and server certificate generated for the run, valid for localhost, 127.0.0.1 and the topology aliases), allow_anonymous false, a password file with user ${SECURE_USERNAME} (random password per run) and an ACL that lets it use ${SECURE_TOPIC_FILTER} only.`,
      ACL_DENIAL_NOTE,
    ],
  };
}

/**
 * Mosquitto as a production deployment runs it: a TLS listener, a password file and an ACL.
 * Every suite runs against it as against the open `mosquitto` (clients get the credentials and
 * the CA through the broker's `clientOptions`), and suites/security.test.ts checks the refusals.
 */
export const mosquittoSecureTarget: Target<'mosquitto-secure'> = {
  name: 'mosquitto-secure',
  summary:
    'Mosquitto as production runs it: TLS only, a password file and an ACL (same image or binary as mosquitto; TLS material from the `openssl` CLI)',
  // Reads mosquitto's settings, which the mosquitto target declares.
  runtimes: ['container', 'process'],
  pairings: [],
  behaviour: (settings, runtime) => secured(mosquittoBehaviour(settings, runtime)),
  restartPersistence: MOSQUITTO_RESTART,

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    const mosquitto = await mosquittoAvailability(runtime, settings);
    if (!mosquitto.ok) return mosquitto;
    const openssl = await opensslAvailability();
    if (!openssl.ok) return openssl;
    return { ok: true, detail: `${mosquitto.detail ?? 'mosquitto'}; TLS material from ${openssl.detail ?? 'openssl'}` };
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    const variant: MosquittoVariant = {
      target: 'mosquitto-secure',
      behaviour: (version) => secured(behaviourOf(version)),
      security: await securityMaterial(request.settings),
    };
    if (request.runtime === 'container') return startInContainer(request, variant);
    if (request.runtime === 'process') return startAsProcess(request, variant);
    throw new Error(`mosquitto-secure cannot run in the ${request.runtime} runtime.`);
  },
};
