import type { StartedNetwork } from 'testcontainers';
import type { RuntimeKind, Settings, StartedBroker } from '../model/index.js';
import type { TargetName } from '../targets/catalog.js';
import { attachToNetwork, startRunNetwork } from '../runtime/container/run-network.js';
import { targetByName } from '../targets/registry.js';
import { disposeTogether } from './dispose-together.js';
import { DOWNSTREAM_ALIAS, UPSTREAM_ALIAS, type BrokerRole } from '../targets/target.js';

/** The brokers of one topology, and the network its forwarder joins (container runtime). */
export interface TopologyBrokers {
  downstream: StartedBroker;
  upstream: StartedBroker;
  network?: StartedNetwork;
}

/**
 * The shared testbed's brokers: one per target, runtime and role, used by every shared topology
 * with that target in that role, and one per target for the files that test a broker alone. Every
 * test and forwarder works under its own topic prefix (topics.ts) and nothing kills or restarts a
 * shared broker, so sharing changes no verdict; it saves starting (and booting, for RabbitMQ) the
 * same broker once per forwarder and per pairing.
 * In containers, each pair of brokers gets its own network on which they carry their role's alias,
 * just as a topology's own brokers do.
 */
export class BrokerPool {
  private readonly brokers = new Map<string, Promise<StartedBroker>>();
  private readonly networks = new Map<string, Promise<StartedNetwork>>();
  /** `<broker label> on <network>` → its attachment to that network. */
  private readonly joined = new Map<string, Promise<void>>();
  /** The network each container broker was started on. */
  private readonly home = new WeakMap<StartedBroker, StartedNetwork>();

  constructor(private readonly settings: Settings) {}

  async pair(downstream: TargetName, upstream: TargetName, runtime: RuntimeKind): Promise<TopologyBrokers> {
    if (runtime !== 'container') {
      const [down, up] = await Promise.all([
        this.started(downstream, DOWNSTREAM_ALIAS, runtime),
        this.started(upstream, UPSTREAM_ALIAS, runtime),
      ]);
      return { downstream: down, upstream: up };
    }
    const network = await this.network(`${downstream}>${upstream}`);
    const [down, up] = await Promise.all([
      this.onNetwork(downstream, DOWNSTREAM_ALIAS, network),
      this.onNetwork(upstream, UPSTREAM_ALIAS, network),
    ]);
    return { downstream: down, upstream: up, network };
  }

  /** The target's shared broker, for the files that test a broker alone (started without a role, as a user would). */
  broker(target: TargetName, runtime: RuntimeKind): Promise<StartedBroker> {
    return this.started(target, undefined, runtime);
  }

  /** Stops every broker side by side, then removes the networks; tries all of them and reports every failure. */
  async dispose(): Promise<void> {
    const started = async <T>(parts: Iterable<Promise<T>>) =>
      (await Promise.allSettled(parts)).flatMap((e) => (e.status === 'fulfilled' ? [e.value] : []));
    const brokers = await started(this.brokers.values());
    const networks = (await started(this.networks.values())).map((n) => ({
      label: n.getName(),
      dispose: () => n.stop().then(() => undefined),
    }));
    const errors: unknown[] = [];
    await disposeTogether(brokers).catch((error: unknown) => errors.push(error));
    await disposeTogether(networks).catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'disposing the shared brokers failed');
  }

  /** The broker on `network` under its role's alias: started there, or attached to it once. */
  private async onNetwork(target: TargetName, role: BrokerRole, network: StartedNetwork): Promise<StartedBroker> {
    const broker = await this.started(target, role, 'container', network);
    const key = `${broker.label} on ${network.getName()}`;
    let joined = this.joined.get(key);
    if (!joined) {
      joined = this.home.get(broker) === network ? Promise.resolve() : attach(broker, network, role);
      this.joined.set(key, joined);
    }
    await joined;
    return broker;
  }

  private started(target: TargetName, role: BrokerRole | undefined, runtime: RuntimeKind, network?: StartedNetwork) {
    const key = `${target} ${role ?? 'alone'} ${runtime}`;
    let started = this.brokers.get(key);
    if (!started) {
      started = targetByName(target)
        .start({ runtime, settings: this.settings, role, network })
        .then((broker) => {
          if (network) this.home.set(broker, network);
          return broker;
        });
      this.brokers.set(key, started);
    }
    return started;
  }

  private network(key: string): Promise<StartedNetwork> {
    let network = this.networks.get(key);
    if (!network) {
      network = startRunNetwork();
      this.networks.set(key, network);
    }
    return network;
  }
}

async function attach(broker: StartedBroker, network: StartedNetwork, role: BrokerRole): Promise<void> {
  if (!broker.containerId) throw new Error(`${broker.label} has no container id: it cannot join ${network.getName()}.`);
  await attachToNetwork(broker.containerId, network, role);
}
