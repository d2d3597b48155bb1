import type { Settings } from '../../config/settings.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { describeExit } from '../../runtime/process/managed-process.js';
import { ProcessComponent } from '../../runtime/process/process-component.js';
import type { Availability, BrokerBehaviour, RuntimeKind, StartedBroker } from '../../testbed/types.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';
import { MOSQUITTO_CONTAINER_PORT, MosquittoContainer } from './mosquitto-container.js';
import { findMosquittoBinary, startMosquittoProcess } from './mosquitto-process.js';

const BEHAVIOUR: BrokerBehaviour = {
  queuesQos0WhileOffline: false,
  mqtt5: true,
  notes: ['QoS 0 is not queued for offline persistent sessions (mosquitto.conf queue_qos0_messages, default false).'],
};

export const mosquittoTarget: Target = {
  name: 'mosquitto',
  runtimes: ['container', 'process'],
  behaviour: () => BEHAVIOUR,
  restartPersistence: {
    sessions: true,
    note: 'mosquitto with persistence true saves sessions, subscriptions, queued and in-flight QoS 1/2 messages and retained messages to mosquitto.db on graceful shutdown (autosave_interval 0) and restores them at start.',
  },

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (runtime === 'container') return imageAvailability(settings.mosquittoImage, 'MQTT_TESTBENCH_MOSQUITTO_IMAGE');
    if (runtime === 'process') {
      const binary = findMosquittoBinary(settings.mosquittoBin);
      return binary
        ? { ok: true, detail: binary }
        : { ok: false, reason: settings.mosquittoBin ? `MQTT_TESTBENCH_MOSQUITTO_BIN=${settings.mosquittoBin} is not an executable file.` : 'no mosquitto binary on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN.' };
    }
    return { ok: false, reason: `mosquitto runs in the container and process runtimes, not ${runtime}.` };
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime === 'container') return startInContainer(request);
    if (request.runtime === 'process') return startAsProcess(request);
    throw new Error(`mosquitto cannot run in the ${request.runtime} runtime.`);
  },
};

async function startInContainer(request: BrokerStartRequest): Promise<StartedBroker> {
  const label = brokerLabel('mosquitto', 'container', request.role);
  const hostPort = await freeLoopbackPort();
  const container = new MosquittoContainer(request.settings.mosquittoImage, label)
    .withHostPort(hostPort)
    .withStartupTimeout(request.settings.startupTimeoutMs);
  if (request.persistence) container.withPersistence();
  if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
  const started = await container.start();
  const url = `mqtt://${started.getHost()}:${hostPort}`;
  const component: ContainerComponent = new ContainerComponent(label, started, () => probeBroker(component, url, request.settings));
  return disposeOnFailure(component, async () => {
    await probeBroker(component, url, request.settings);
    return brokerFrom(component, {
      version: `mosquitto ${started.getVersion()}`,
      url,
      peer: request.role ? { host: request.role, port: MOSQUITTO_CONTAINER_PORT } : { host: started.getHost(), port: hostPort },
    });
  });
}

async function startAsProcess(request: BrokerStartRequest): Promise<StartedBroker> {
  const label = brokerLabel('mosquitto', 'process', request.role);
  const binary = findMosquittoBinary(request.settings.mosquittoBin);
  if (!binary) throw new Error(`${label}: no mosquitto binary found (set MQTT_TESTBENCH_MOSQUITTO_BIN).`);
  const started = await startMosquittoProcess({ label, binary, persistence: request.persistence, startupTimeoutMs: request.settings.startupTimeoutMs });
  const alive = () => (started.process.exited ? `${label} exited with ${describeExit(started.process.exited)}` : undefined);
  const component: ProcessComponent = new ProcessComponent(
    label,
    started.process,
    async () => {
      await started.relaunch();
      await probeBroker(component, started.url, request.settings, alive);
    },
    started.removeFiles,
  );
  return disposeOnFailure(component, async () => {
    await probeBroker(component, started.url, request.settings, alive);
    return brokerFrom(component, { version: `mosquitto ${started.version}`, url: started.url, peer: { host: '127.0.0.1', port: started.port } });
  });
}

function brokerFrom(component: ContainerComponent | ProcessComponent, fields: Pick<StartedBroker, 'version' | 'url' | 'peer'>): StartedBroker {
  return {
    target: 'mosquitto',
    label: component.label,
    runtime: component.runtime,
    faults: component.faults,
    behaviour: BEHAVIOUR,
    logTail: (lines) => component.logTail(lines),
    liveness: () => component.liveness(),
    dispose: () => component.dispose(),
    ...fields,
  };
}
