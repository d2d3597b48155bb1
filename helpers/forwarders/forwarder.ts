import type { StartedNetwork } from 'testcontainers';
import type {
  Availability,
  BrokerClientOptions,
  Endpoint,
  ForwarderDeclaration,
  ForwarderKind,
  ForwarderPeers,
  ForwardRule,
  Qos,
  RuntimeKind,
  Settings,
  StartedForwarder,
} from '../model/index.js';

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
