import type { StartedNetwork } from 'testcontainers';
import type {
  Endpoint,
  FaultControls,
  RouteKind,
  RuntimeKind,
  Settings,
  StartedBroker,
  StartedForwarder,
} from '../model/index.js';
import type { TargetName } from '../targets/catalog.js';
import type { ForwarderDefinition } from '../forwarders/forwarder.js';
import { startRunNetwork } from '../runtime/container/run-network.js';
import { mqttProbe } from '../runtime/mqtt-probe.js';
import { ReadinessError } from '../runtime/readiness-error.js';
import { runContext, shortRunId, uniqueName } from '../runtime/run-context.js';
import { targetByName } from '../targets/registry.js';
import { DOWNSTREAM_ALIAS, UPSTREAM_ALIAS } from '../targets/target.js';
import type { TopologyBrokers } from './broker-pool.js';
import { disposeTogether } from './dispose-together.js';
import { watchLiveness } from './liveness.js';
import { routesFor, type Route } from './topics.js';

export interface TopologySpec {
  downstream: TargetName;
  upstream: TargetName;
  forwarder: ForwarderDefinition;
  runtime: RuntimeKind;
}

export interface TopologyOptions {
  /** Brokers keep retained messages and sessions across a graceful restart. */
  persistence?: boolean;
  /**
   * Brokers (and network) the topology uses instead of starting its own: it neither owns nor
   * disposes of them (the shared testbed's BrokerPool).
   */
  brokers?: (spec: TopologySpec) => Promise<TopologyBrokers>;
}

/** downstream broker -> forwarder -> upstream broker, started and stopped as one unit. */
export interface StartedTopology {
  /** e.g. `mosquitto>mosquitto via reference`. */
  readonly id: string;
  readonly runtime: RuntimeKind;
  readonly downstream: StartedBroker;
  readonly upstream: StartedBroker;
  readonly forwarder: StartedForwarder;
  /** Routes the forwarder implements (`pass` always; `event` when it has the EventCall callback). */
  readonly routes: readonly Route[];
  route(kind: RouteKind): Route;
  /** From the start request to the passing end-to-end probe of every route, ms. */
  readonly startupMs: number;
  /** Proves every route delivers end to end; used after fault injection. */
  probe(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

const ALL_ROUTES: readonly RouteKind[] = ['pass', 'event'];
const PROBE_REPUBLISH_MS = 250;

export function topologyId(
  spec: Pick<TopologySpec, 'downstream' | 'upstream'> & { forwarder: { name: string } },
): string {
  return `${spec.downstream}>${spec.upstream} via ${spec.forwarder.name}`;
}

/**
 * Starts both brokers (in parallel), then the forwarder, then probes every route end to end.
 * If any step fails, everything started so far is disposed before the error is rethrown.
 */
export async function startTopology(
  spec: TopologySpec,
  settings: Settings,
  options: TopologyOptions = {},
): Promise<StartedTopology> {
  const startedAt = performance.now();
  const cleanups: (() => Promise<void>)[] = [];
  const disposeAll = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, `disposing topology ${topologyId(spec)} failed`);
  };
  try {
    const { downstream, upstream, network } = options.brokers
      ? await options.brokers(spec)
      : await startOwnBrokers(spec, settings, options, cleanups);

    const bedPrefix = `mtb/${runContext().runId}/${uniqueName('bed')}`;
    const routes = routesFor(
      bedPrefix,
      ALL_ROUTES.filter((kind) => spec.forwarder.declaration.routes.includes(kind)),
    );
    const started = await spec.forwarder.start({
      runtime: spec.runtime,
      settings,
      downstreamPeer: downstream.peer,
      upstreamPeer: upstream.peer,
      downstreamHost: hostEndpoint(downstream.url),
      upstreamHost: hostEndpoint(upstream.url),
      downstreamTarget: downstream.target,
      upstreamTarget: upstream.target,
      downstreamClientOptions: downstream.clientOptions,
      upstreamClientOptions: upstream.clientOptions,
      network,
      rules: routes.map((route) => route.rule),
      clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('f')}`,
      mqtt5: downstream.behaviour.mqtt5.value && upstream.behaviour.mqtt5.value,
    });
    cleanups.push(() => started.dispose());

    const probe = async (timeoutMs = settings.startupTimeoutMs) => {
      // A forwarder (or broker) that exits, e.g. on a bad config, ends the probe at once with
      // how it died, instead of after the whole budget.
      const liveness = watchLiveness([downstream, started, upstream]);
      // Every route at once: after a restart each waits behind the backlog the forwarder works off.
      const probeRoute = async (route: Route) => {
        const ns = route.namespace('probe');
        const begun = Date.now();
        try {
          await mqttProbe({
            publishTo: downstream,
            subscribeTo: upstream,
            publishTopic: ns.publish('p'),
            expectTopic: ns.expect('p'),
            timeoutMs,
            republishMs: PROBE_REPUBLISH_MS,
            abortReason: () => liveness.reason(),
          });
        } catch (error) {
          throw new ReadinessError(
            started.label,
            `end-to-end probe through route "${route.kind}" (${downstream.label} -> ${upstream.label})`,
            Date.now() - begun,
            await started.logTail(30),
            error,
          );
        }
      };
      try {
        const failed = (await Promise.allSettled(routes.map(probeRoute))).find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        liveness.stop();
      }
    };
    await probe();
    const startupMs = Math.round(performance.now() - startedAt);

    const forwarder: StartedForwarder = { ...started, faults: probingFaults(started.faults, probe) };
    return {
      id: topologyId(spec),
      runtime: spec.runtime,
      downstream,
      upstream,
      forwarder,
      routes,
      startupMs,
      route(kind: RouteKind): Route {
        const route = routes.find((r) => r.kind === kind);
        if (!route)
          throw new Error(
            `${forwarder.name} does not implement the "${kind}" route (it declares ${forwarder.declaration.routes.join(', ')}).`,
          );
        return route;
      },
      probe,
      dispose: disposeAll,
    };
  } catch (error) {
    await disposeAll().catch((cleanupError: unknown) => {
      throw new AggregateError(
        [error, cleanupError],
        `starting topology ${topologyId(spec)} failed, and so did its cleanup`,
      );
    });
    throw error;
  }
}

/** Starts both brokers side by side (on a network of their own in containers); `cleanups` gets their disposal. */
async function startOwnBrokers(
  spec: TopologySpec,
  settings: Settings,
  options: TopologyOptions,
  cleanups: (() => Promise<void>)[],
): Promise<TopologyBrokers> {
  let network: StartedNetwork | undefined;
  if (spec.runtime === 'container') {
    const started = await startRunNetwork();
    network = started;
    cleanups.push(async () => {
      await started.stop();
    });
  }
  const start = (target: TargetName, role: typeof DOWNSTREAM_ALIAS | typeof UPSTREAM_ALIAS) =>
    targetByName(target).start({ runtime: spec.runtime, settings, role, network, persistence: options.persistence });
  const [down, up] = await Promise.allSettled([
    start(spec.downstream, DOWNSTREAM_ALIAS),
    start(spec.upstream, UPSTREAM_ALIAS),
  ]);
  // Both brokers stop side by side (after the forwarder): a graceful RabbitMQ stop takes seconds.
  const brokers = [down, up].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  cleanups.push(() => disposeTogether(brokers));
  if (down.status === 'rejected') throw down.reason;
  if (up.status === 'rejected') throw up.reason;
  return { downstream: down.value, upstream: up.value, network };
}

/** After the forwarder is started again, its readiness is the end-to-end probe. */
function probingFaults(faults: FaultControls, probe: () => Promise<void>): FaultControls {
  return {
    ...faults,
    start: async () => {
      await faults.start();
      await probe();
    },
    restart: async () => {
      await faults.stop();
      await faults.start();
      await probe();
    },
  };
}

function hostEndpoint(url: string): Endpoint {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'mqtts:' ? 8883 : 1883)) };
}
