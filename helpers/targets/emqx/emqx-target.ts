import type { Availability, RuntimeKind, Settings, StartedBroker } from '../../model/index.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { startOnFreePort } from '../../runtime/ports.js';
import { imageVersion } from '../behaviour.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';
import { emqxBehaviour } from './emqx-behaviour.js';
import { EMQX_CONTAINER_PORT, EMQX_MIN_STARTUP_MS, EmqxContainer } from './emqx-container.js';
import { EMQX_IMAGE, emqxImage } from './emqx-settings.js';

export const emqxTarget: Target<'emqx'> = {
  name: 'emqx',
  summary:
    'EMQX 5: the official image only (no package exists to run it as a process or to build an offline image from)',
  runtimes: ['container'],
  // Mosquitto at the edge, EMQX upstream: the deployment the original project ran.
  pairings: [['mosquitto', 'emqx']],
  behaviour: (settings) => emqxBehaviour(imageVersion(emqxImage(settings))),
  restartPersistence: {
    sessions: false,
    note: 'EMQX keeps sessions in memory (durable sessions are off by default): a restart ends them; persistence only keeps retained messages on disc (retainer.backend.storage_type disc, under the pinned node name).',
    // A graceful stop plus a boot, which takes 5-10 s on small machines (EMQX budgets minutes).
    budgetMs: 30_000,
  },

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (runtime !== 'container')
      return {
        ok: false,
        reason: `emqx runs only in the container runtime (this run uses ${runtime}); no package or binary of it exists for the process runtime.`,
      };
    return imageAvailability(
      emqxImage(settings),
      EMQX_IMAGE.name,
      'or `docker load` an image saved on a machine with registry access (EMQX has no Debian package to build an offline image from)',
    );
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime !== 'container') throw new Error(`emqx cannot run in the ${request.runtime} runtime.`);
    const label = brokerLabel('emqx', 'container', request.role);
    const startupBudgetMs = Math.max(EMQX_MIN_STARTUP_MS, request.settings.startupTimeoutMs);
    const { hostPort, started } = await startOnFreePort(async (hostPort) => {
      const container = new EmqxContainer(emqxImage(request.settings), label)
        .withHostPort(hostPort)
        .withStartupTimeout(startupBudgetMs);
      if (request.persistence) container.withPersistence();
      if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
      return { hostPort, started: await container.start() };
    });
    const url = `mqtt://${started.getHost()}:${hostPort}`;
    // After a restart no wait strategy runs: the probe itself waits out the boot (5-10 s on small
    // machines), so it gets the start-up budget, not the probe budget.
    const component: ContainerComponent = new ContainerComponent(label, started, () =>
      probeBroker(component, { label, url }, request.settings, undefined, startupBudgetMs),
    );
    return disposeOnFailure(component, async () => {
      await probeBroker(component, { label, url }, request.settings);
      return {
        target: 'emqx',
        label,
        runtime: 'container',
        containerId: started.getId(),
        version: `emqx ${started.getVersion()}`,
        url,
        peer: request.role
          ? { host: request.role, port: EMQX_CONTAINER_PORT }
          : { host: started.getHost(), port: hostPort },
        behaviour: emqxBehaviour(started.getVersion()),
        faults: component.faults,
        logTail: (lines) => component.logTail(lines),
        liveness: () => component.liveness(),
        cpuTime: () => component.cpuTime(),
        dispose: () => component.dispose(),
      };
    });
  },
};
