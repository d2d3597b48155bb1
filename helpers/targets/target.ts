import type { StartedNetwork } from 'testcontainers';
import type { Availability, BrokerBehaviour, RuntimeKind, Settings, StartedBroker } from '../model/index.js';
import type { TargetName } from './catalog.js';

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
  /**
   * How long a graceful restart (stop, start, wait strategy and probe) may take on a busy 2-core
   * machine, measured: the fault-injection suite leaves the stream this long for it.
   */
  budgetMs: number;
}

/** A forwarding topology between two different targets, `[downstream, upstream]`. */
export type Pairing = readonly [downstream: TargetName, upstream: TargetName];

/**
 * A broker product the suites run against. Everything about it lives in its folder
 * (`helpers/targets/<name>/`) and reaches the rest of the harness through this contract and one
 * line in the registry: its settings, runtimes, how to tell whether it can run here, how to start
 * it and what it documents where the MQTT spec leaves a choice or where it deviates.
 */
export interface Target<N extends string = string> {
  readonly name: N;
  /** One line for the target table of docs/targets.md: the product and how it runs. */
  readonly summary: string;
  /** Runtimes this target can run in, preferred first. */
  readonly runtimes: readonly RuntimeKind[];
  /**
   * Mixed topologies it forms with other targets; each runs when both targets are in the run (the
   * run plan takes them from the registry).
   */
  readonly pairings: readonly Pairing[];
  /** Whether a run that names no targets includes it even though it has no runtime of the run's (external: when its URL is set). */
  selectedByDefault?(settings: Settings): boolean;
  /**
   * What the target documents where the spec leaves a choice or where it deviates, for the version
   * that runs in `runtime` (known before it starts: the image tag or the installed binary).
   */
  behaviour(settings: Settings, runtime: RuntimeKind): BrokerBehaviour;
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
