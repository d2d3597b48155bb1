import type { Availability, RuntimeKind, Settings, StartedBroker } from '../../model/index.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { describeExit } from '../../runtime/process/managed-process.js';
import { ProcessComponent } from '../../runtime/process/process-component.js';
import { startOnFreePort } from '../../runtime/ports.js';
import { imageVersion } from '../behaviour.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';
import { rabbitmqBehaviour } from './rabbitmq-behaviour.js';
import { RABBITMQ_CONTAINER_PORT, RabbitmqContainer } from './rabbitmq-container.js';
import { startRabbitmqProcess } from './rabbitmq-process.js';
import { findRabbitmq, missingRabbitmq, RABBITMQ_IMAGE, rabbitmqImage } from './rabbitmq-settings.js';

/** A graceful stop lets the node close its queues and stores; measured 1-3 s, more under load. */
const STOP_GRACE_MS = 30_000;

/**
 * RabbitMQ with its MQTT plugin: Debian's rabbitmq-server as an isolated local node, or the
 * official image (the offline image built from the Debian package where no registry answers).
 */
export const rabbitmqTarget: Target<'rabbitmq'> = {
  name: 'rabbitmq',
  summary:
    "RabbitMQ's MQTT plugin: the official image (or the offline one built from Debian's package), or Debian's `rabbitmq-server` as an isolated node (own name, ports, data folder and epmd)",
  runtimes: ['container', 'process'],
  // A broker that differs from Mosquitto on both sides of a forwarder.
  pairings: [
    ['mosquitto', 'rabbitmq'],
    ['rabbitmq', 'mosquitto'],
  ],
  behaviour: (settings, runtime) =>
    rabbitmqBehaviour(
      runtime === 'container' ? imageVersion(rabbitmqImage(settings)) : (findRabbitmq(settings)?.version ?? 'unknown'),
    ),
  restartPersistence: {
    sessions: true,
    note: "RabbitMQ keeps a persistent session's subscriptions as a durable queue, its QoS 1 messages persistent (acknowledged to the publisher once stored), and retained messages in a DETS file, all in the node's data folder, which a restart keeps.",
    // Stop, boot of the Erlang VM and the MQTT plugin's Raft election: 9-15 s measured on a busy 2-core
    // machine, but a downstream restart in a container with a bridge's queue behind it once took over
    // 31 s (the start 6.8 s of it). An upper bound: a fault's stream ends at the recovery, not at it.
    budgetMs: 60_000,
  },

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (runtime === 'container') return imageAvailability(rabbitmqImage(settings), RABBITMQ_IMAGE.name);
    if (runtime === 'process') {
      const install = findRabbitmq(settings);
      return install
        ? { ok: true, detail: `${install.script} (RabbitMQ ${install.version})` }
        : { ok: false, reason: missingRabbitmq(settings) };
    }
    return { ok: false, reason: `rabbitmq runs in the container and process runtimes, not ${runtime}.` };
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime === 'container') return startInContainer(request);
    if (request.runtime === 'process') return startAsProcess(request);
    throw new Error(`rabbitmq cannot run in the ${request.runtime} runtime.`);
  },
};

async function startInContainer(request: BrokerStartRequest): Promise<StartedBroker> {
  const label = brokerLabel('rabbitmq', 'container', request.role);
  const image = rabbitmqImage(request.settings);
  const { hostPort, started } = await startOnFreePort(async (hostPort) => {
    const container = new RabbitmqContainer(image, label, imageVersion(image))
      .withHostPort(hostPort)
      .withStartupTimeout(request.settings.startupTimeoutMs);
    if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
    return { hostPort, started: await container.start() };
  });
  const url = `mqtt://${started.getHost()}:${hostPort}`;
  // After a restart no wait strategy runs: the probe itself waits out the node's boot (about
  // 10 s), so it gets the start-up budget, not the probe budget. The first probe too: once, on a
  // busy 2-core machine, a node that had logged its start sent the probe no CONNACK for 10 s
  // (run 20261208-003759-0b3416), though its first CONNACK usually takes under 0.1 s.
  const probe = () =>
    probeBroker(component, { label, url }, request.settings, undefined, request.settings.startupTimeoutMs);
  const component: ContainerComponent = new ContainerComponent(label, started, probe);
  return disposeOnFailure(component, async () => {
    await probe();
    const version = started.getVersion();
    return {
      target: 'rabbitmq',
      label,
      runtime: 'container',
      containerId: started.getId(),
      version: `rabbitmq ${version}`,
      url,
      peer: request.role
        ? { host: request.role, port: RABBITMQ_CONTAINER_PORT }
        : { host: started.getHost(), port: hostPort },
      behaviour: rabbitmqBehaviour(version),
      faults: component.faults,
      logTail: (lines) => component.logTail(lines),
      liveness: () => component.liveness(),
      cpuTime: () => component.cpuTime(),
      dispose: () => component.dispose(),
    };
  });
}

async function startAsProcess(request: BrokerStartRequest): Promise<StartedBroker> {
  const label = brokerLabel('rabbitmq', 'process', request.role);
  const install = findRabbitmq(request.settings);
  if (!install) throw new Error(`${label}: ${missingRabbitmq(request.settings)}`);
  const started = await startRabbitmqProcess({ label, install, startupTimeoutMs: request.settings.startupTimeoutMs });
  const endpoint = { label, url: started.url };
  const alive = () => (started.node.exited ? `${label} exited with ${describeExit(started.node.exited)}` : undefined);
  const component: ProcessComponent = new ProcessComponent(
    label,
    started.node,
    async () => {
      await started.relaunch();
      await probeBroker(component, endpoint, request.settings, alive);
    },
    started.cleanup,
    { stopGraceMs: STOP_GRACE_MS },
  );
  return disposeOnFailure(component, async () => {
    await probeBroker(component, endpoint, request.settings, alive);
    return {
      target: 'rabbitmq',
      label,
      runtime: 'process',
      version: `rabbitmq ${started.version}`,
      url: started.url,
      peer: { host: '127.0.0.1', port: started.port },
      behaviour: rabbitmqBehaviour(started.version),
      faults: component.faults,
      logTail: (lines) => component.logTail(lines),
      liveness: () => component.liveness(),
      cpuTime: () => component.cpuTime(),
      dispose: () => component.dispose(),
    };
  });
}
