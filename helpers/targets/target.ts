import type { StartedNetwork } from 'testcontainers';
import type { Settings, TargetName } from '../config/settings.js';
import type { Availability, BrokerBehaviour, RuntimeKind, StartedBroker } from '../testbed/types.js';

/** Network aliases of the forwarding topology, as the original compose file named them. */
export const DOWNSTREAM_ALIAS = 'mqtt-broker-downstream';
export const UPSTREAM_ALIAS = 'mqtt-broker-upstream';
export type BrokerRole = typeof DOWNSTREAM_ALIAS | typeof UPSTREAM_ALIAS;

export interface BrokerStartRequest {
  runtime: RuntimeKind;
  settings: Settings;
  /** Role in a forwarding topology: becomes the network alias and part of the label. */
  role?: BrokerRole;
  /** The topology's network (container runtime). */
  network?: StartedNetwork;
  /** Keep retained messages and sessions across a graceful broker restart. */
  persistence?: boolean;
}

/** What a broker started with `persistence: true` keeps across a graceful restart (stop, then start). */
export interface RestartPersistence {
  /** Persistent sessions keep their subscriptions and queued QoS 1/2 messages (also those in flight). */
  sessions: boolean;
  /** Where that comes from (configuration, documentation), for reports and failure messages. */
  note: string;
}

/**
 * A broker product the suites run against. One module per target knows how to start it in each
 * runtime it supports and what it documents where the MQTT spec leaves a choice.
 */
export interface Target {
  readonly name: TargetName;
  /** Runtimes this target can run in, preferred first. */
  readonly runtimes: readonly RuntimeKind[];
  /** What the target documents where the spec leaves a choice. */
  behaviour(settings: Settings): BrokerBehaviour;
  /** What `persistence: true` keeps across a graceful restart (the fault-injection suite's expectation). */
  readonly restartPersistence: RestartPersistence;
  /** Whether the target can run here in `runtime`, and if not, why. Never throws. */
  availability(runtime: RuntimeKind, settings: Settings): Promise<Availability>;
  /** Starts the broker and returns once it passed its wait strategy and an MQTT probe. */
  start(request: BrokerStartRequest): Promise<StartedBroker>;
}

export function brokerLabel(target: TargetName, runtime: RuntimeKind, role?: BrokerRole): string {
  return role ? `${target} ${role} (${runtime})` : `${target} (${runtime})`;
}
