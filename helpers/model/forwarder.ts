import type { Qos, StartedComponent } from './broker.js';

/** The forwarder slot's vocabulary: what a forwarder promises and what the testbed started. */

/**
 * What a forwarder promises. Suites compare what they observe with this, and name the expectation
 * they used in every assertion message.
 */
export interface ForwarderDeclaration {
  /**
   * Delivered QoS upstream for a message published downstream at QoS q (before the upstream
   * subscriber's own downgrade): `preserve` → q; `max` → min(q, max); `fixed` → always `qos`.
   */
  qos: { policy: 'preserve' } | { policy: 'max'; qos: Qos } | { policy: 'fixed'; qos: Qos };
  /** Whether a live retained publish reaches upstream as a retained message. */
  retainForwarded: boolean;
  /** Whether an empty retained publish (a delete) reaches upstream and clears the retained message there. */
  retainedDeleteForwarded: boolean;
  /** Whether a kill -9 and restart of the forwarder loses nothing at QoS 1/2. */
  losslessAcrossRestart: boolean;
  /** Routes (callbacks) the forwarder implements. */
  routes: readonly RouteKind[];
  /** Free-text notes that go into the report (where a promise comes from). */
  notes: string[];
}

/** `pass` forwards the payload unchanged; `event` applies the EventCall JSON wrapping. */
export type RouteKind = 'pass' | 'event';

/** One forwarding rule the testbed asks every forwarder to implement. */
export interface ForwardRule {
  route: RouteKind;
  /** Filter on the downstream broker, e.g. `mtb/<run>/<bed>/down/pass/#`. */
  sourceFilter: string;
  /** Target pattern on the upstream broker, e.g. `mtb/<run>/<bed>/up/pass/#`. */
  targetPattern: string;
}

export type ForwarderKind = 'reference' | 'mosquitto-bridge' | 'image' | 'command';

export interface StartedForwarder extends StartedComponent {
  readonly kind: ForwarderKind;
  /** Name shown in reports, e.g. `reference`, `mosquitto-bridge`, `image:acme/fwd:1`. */
  readonly name: string;
  readonly declaration: ForwarderDeclaration;
  /** The forwarder config file the testbed generated (for the report and for debugging), with passwords redacted. */
  readonly configText: string;
}

/** Target names of the brokers a forwarder is put between (`mosquitto`, `emqx`, ...). */
export interface ForwarderPeers {
  downstream: string;
  upstream: string;
  /** Both brokers speak MQTT 5. */
  mqtt5: boolean;
}
