import type { Settings } from '../../config/settings.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import type { Availability, BrokerBehaviour, RuntimeKind, StartedBroker } from '../../testbed/types.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';
import { EMQX_CONTAINER_PORT, EMQX_MIN_STARTUP_MS, EmqxContainer } from './emqx-container.js';

const BEHAVIOUR: BrokerBehaviour = {
  queuesQos0WhileOffline: true,
  mqtt5: true,
  notes: [
    'QoS 0 is queued for offline persistent sessions (mqtt.mqueue_store_qos0, default true).',
    'Sessions live in memory: a broker restart ends them (durable sessions are off by default).',
  ],
};

export const emqxTarget: Target = {
  name: 'emqx',
  runtimes: ['container'],
  behaviour: () => BEHAVIOUR,
  restartPersistence: {
    sessions: false,
    note: 'EMQX keeps sessions in memory (durable sessions are off by default): a restart ends them; persistence only keeps retained messages on disc (retainer.backend.storage_type disc).',
  },

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (runtime !== 'container')
      return {
        ok: false,
        reason: `emqx runs only in the container runtime (this run uses ${runtime}); no package or binary of it exists for the process runtime.`,
      };
    return imageAvailability(
      settings.emqxImage,
      'MQTT_TESTBENCH_EMQX_IMAGE',
      'or `docker load` an image saved on a machine with registry access (EMQX has no Debian package to build an offline image from)',
    );
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime !== 'container') throw new Error(`emqx cannot run in the ${request.runtime} runtime.`);
    const label = brokerLabel('emqx', 'container', request.role);
    const hostPort = await freeLoopbackPort();
    const container = new EmqxContainer(request.settings.emqxImage, label)
      .withHostPort(hostPort)
      .withStartupTimeout(Math.max(EMQX_MIN_STARTUP_MS, request.settings.startupTimeoutMs));
    if (request.persistence) container.withPersistence();
    if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
    const started = await container.start();
    const url = `mqtt://${started.getHost()}:${hostPort}`;
    const component: ContainerComponent = new ContainerComponent(label, started, () =>
      probeBroker(component, { label, url }, request.settings),
    );
    return disposeOnFailure(component, async () => {
      await probeBroker(component, { label, url }, request.settings);
      return {
        target: 'emqx',
        label,
        runtime: 'container',
        version: `emqx ${started.getVersion()}`,
        url,
        peer: request.role
          ? { host: request.role, port: EMQX_CONTAINER_PORT }
          : { host: started.getHost(), port: hostPort },
        behaviour: BEHAVIOUR,
        faults: component.faults,
        logTail: (lines) => component.logTail(lines),
        liveness: () => component.liveness(),
        cpuTime: () => component.cpuTime(),
        dispose: () => component.dispose(),
      };
    });
  },
};
