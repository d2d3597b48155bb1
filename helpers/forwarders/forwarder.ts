import type { StartedNetwork } from 'testcontainers';
import type { Settings } from '../config/settings.js';
import type { Availability, BrokerClientOptions, Endpoint, RuntimeKind, StartedComponent } from '../testbed/types.js';

export type Qos = 0 | 1 | 2;

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

export function expectedForwardedQos(declaration: ForwarderDeclaration, published: Qos): Qos {
  const policy = declaration.qos;
  if (policy.policy === 'preserve') return published;
  if (policy.policy === 'max') return Math.min(published, policy.qos) as Qos;
  return policy.qos;
}

export function describeQosPolicy(declaration: ForwarderDeclaration): string {
  const policy = declaration.qos;
  if (policy.policy === 'preserve') return 'QoS preserved';
  if (policy.policy === 'max') return `QoS capped at ${policy.qos}`;
  return `QoS fixed at ${policy.qos}`;
}

/** One forwarding rule the testbed asks every forwarder to implement. */
export interface ForwardRule {
  route: RouteKind;
  /** Filter on the downstream broker, e.g. `mtb/<run>/<bed>/down/pass/#`. */
  sourceFilter: string;
  /** Target pattern on the upstream broker, e.g. `mtb/<run>/<bed>/up/pass/#`. */
  targetPattern: string;
}

export interface ForwarderStartContext {
  runtime: RuntimeKind;
  settings: Settings;
  /** How the forwarder reaches each broker from inside the topology's runtime (network alias in containers). */
  downstreamPeer: Endpoint;
  upstreamPeer: Endpoint;
  /** How a process on this host reaches each broker. */
  downstreamHost: Endpoint;
  upstreamHost: Endpoint;
  /** Product of each broker (`mosquitto`, `emqx`, ...), e.g. to pick bridge options. */
  downstreamTarget: string;
  upstreamTarget: string;
  /**
   * Credentials and CA (PEM) each broker requires (absent for open brokers): the forwarder's
   * config gets them per client, with the CA as a file where the forwarder runs.
   */
  downstreamClientOptions?: BrokerClientOptions;
  upstreamClientOptions?: BrokerClientOptions;
  /** Both brokers speak MQTT 5 (a forwarder may then use it, e.g. for Retain As Published). */
  mqtt5: boolean;
  network?: StartedNetwork;
  rules: ForwardRule[];
  /** Prefix for the forwarder's MQTT client ids (unique per run and testbed). */
  clientIdPrefix: string;
}

export interface StartedForwarder extends StartedComponent {
  readonly kind: ForwarderKind;
  /** Name shown in reports, e.g. `reference`, `mosquitto-bridge`, `image:acme/fwd:1`. */
  readonly name: string;
  readonly declaration: ForwarderDeclaration;
  /** The forwarder config file the testbed generated (for the report and for debugging), with passwords redacted. */
  readonly configText: string;
}

export type ForwarderKind = 'reference' | 'mosquitto-bridge' | 'image' | 'command';

/** Target names of the brokers a forwarder is put between (`mosquitto`, `emqx`, ...). */
export interface ForwarderPeers {
  downstream: string;
  upstream: string;
  /** Both brokers speak MQTT 5. */
  mqtt5: boolean;
}

/** A forwarder that can be put into the forwarding slot of a topology. */
export interface ForwarderDefinition {
  readonly kind: ForwarderKind;
  readonly name: string;
  /** What the forwarder promises in general (shown in the run plan and reports). */
  readonly declaration: ForwarderDeclaration;
  /** What it promises between these brokers, when that depends on them; absent: `declaration`. */
  declarationFor?(peers: ForwarderPeers): ForwarderDeclaration;
  /** Runtimes the forwarder can run in, given the topology's runtime. */
  availability(runtime: RuntimeKind, settings: Settings): Promise<Availability>;
  /**
   * Starts the forwarder. Returns once it logged that it is ready, when it has such a line; the
   * testbed then proves the path end to end with a probe through every rule.
   */
  start(context: ForwarderStartContext): Promise<StartedForwarder>;
}

/** What `definition` promises between `peers` (its general declaration unless it depends on them). */
export function declarationBetween(definition: ForwarderDefinition, peers: ForwarderPeers): ForwarderDeclaration {
  return definition.declarationFor?.(peers) ?? definition.declaration;
}
