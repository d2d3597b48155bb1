import { readFileSync } from 'node:fs';
import type {
  Availability,
  BrokerBehaviour,
  BrokerEndpoint,
  RuntimeKind,
  Settings,
  StartedBroker,
} from '../../model/index.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { startOnFreePort } from '../../runtime/ports.js';
import { describeExit } from '../../runtime/process/managed-process.js';
import { ProcessComponent } from '../../runtime/process/process-component.js';
import type { SecurityMaterial } from '../security-material.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type RestartPersistence, type Target } from '../target.js';
import { behaviourOf, mosquittoBehaviour } from './mosquitto-behaviour.js';
import {
  MOSQUITTO_CONTAINER_PORT,
  MOSQUITTO_CONTAINER_TLS_PORT,
  MosquittoContainer,
  type MosquittoSecurityContent,
} from './mosquitto-container.js';
import { startMosquittoProcess } from './mosquitto-process.js';
import { MOSQUITTO_IMAGE, missingMosquittoBinary, mosquittoBinary, mosquittoImage } from './mosquitto-settings.js';

export const MOSQUITTO_RESTART: RestartPersistence = {
  sessions: true,
  note: 'mosquitto with persistence true saves sessions, subscriptions, queued and in-flight QoS 1/2 messages and retained messages to mosquitto.db on graceful shutdown (autosave_interval 0) and restores them at start.',
  // Measured 0.75-1.1 s in a container, under 0.1 s as a process, on a busy 2-core machine.
  budgetMs: 3_500,
};

export const mosquittoTarget: Target<'mosquitto'> = {
  name: 'mosquitto',
  summary:
    "Eclipse Mosquitto: the official image (or the offline one built from Debian's package), or a local `mosquitto` binary on a free loopback port",
  runtimes: ['container', 'process'],
  pairings: [],
  behaviour: mosquittoBehaviour,
  restartPersistence: MOSQUITTO_RESTART,

  availability: mosquittoAvailability,

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime === 'container') return startInContainer(request);
    if (request.runtime === 'process') return startAsProcess(request);
    throw new Error(`mosquitto cannot run in the ${request.runtime} runtime.`);
  },
};

/** Whether Mosquitto can run in `runtime` here: its image (container) or its binary (process). */
export async function mosquittoAvailability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
  if (runtime === 'container') return imageAvailability(mosquittoImage(settings), MOSQUITTO_IMAGE.name);
  if (runtime === 'process') {
    const binary = mosquittoBinary(settings);
    return binary ? { ok: true, detail: binary } : { ok: false, reason: missingMosquittoBinary(settings) };
  }
  return { ok: false, reason: `mosquitto runs in the container and process runtimes, not ${runtime}.` };
}

/** What differs between the plain and the secured Mosquitto target; the rest is shared. */
export interface MosquittoVariant {
  target: 'mosquitto' | 'mosquitto-secure';
  /** The behaviour table of the version that started (read from its ready line). */
  behaviour: (version: string) => BrokerBehaviour;
  /** TLS listener, password file and ACL from the run's material (mosquitto-secure). */
  security?: SecurityMaterial;
}

const PLAIN: MosquittoVariant = { target: 'mosquitto', behaviour: behaviourOf };

export async function startInContainer(
  request: BrokerStartRequest,
  variant: MosquittoVariant = PLAIN,
): Promise<StartedBroker> {
  const label = brokerLabel(variant.target, 'container', request.role);
  const { hostPort, started } = await startOnFreePort(async (hostPort) => {
    const container = new MosquittoContainer(mosquittoImage(request.settings), label)
      .withHostPort(hostPort)
      .withStartupTimeout(request.settings.startupTimeoutMs);
    if (variant.security) container.withSecurity(securityContent(variant.security));
    if (request.persistence) container.withPersistence();
    if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
    return { hostPort, started: await container.start() };
  });
  const endpoint = endpointOf(
    label,
    `${variant.security ? 'mqtts' : 'mqtt'}://${started.getHost()}:${hostPort}`,
    variant,
  );
  const component: ContainerComponent = new ContainerComponent(label, started, () =>
    probeBroker(component, endpoint, request.settings),
  );
  return disposeOnFailure(component, async () => {
    await probeBroker(component, endpoint, request.settings);
    return brokerFrom(component, variant, started.getVersion(), {
      ...endpoint,
      containerId: started.getId(),
      peer: request.role
        ? { host: request.role, port: variant.security ? MOSQUITTO_CONTAINER_TLS_PORT : MOSQUITTO_CONTAINER_PORT }
        : { host: started.getHost(), port: hostPort },
    });
  });
}

export async function startAsProcess(
  request: BrokerStartRequest,
  variant: MosquittoVariant = PLAIN,
): Promise<StartedBroker> {
  const label = brokerLabel(variant.target, 'process', request.role);
  const binary = mosquittoBinary(request.settings);
  if (!binary) throw new Error(`${label}: ${missingMosquittoBinary(request.settings)}`);
  const files = variant.security?.files;
  const started = await startMosquittoProcess({
    label,
    binary,
    persistence: request.persistence,
    security: files
      ? {
          cafile: files.ca,
          certfile: files.cert,
          keyfile: files.key,
          passwordFile: files.passwords,
          aclFile: files.acl,
        }
      : undefined,
    startupTimeoutMs: request.settings.startupTimeoutMs,
  });
  const endpoint = endpointOf(label, started.url, variant);
  const alive = () =>
    started.process.exited ? `${label} exited with ${describeExit(started.process.exited)}` : undefined;
  const component: ProcessComponent = new ProcessComponent(
    label,
    started.process,
    async () => {
      await started.relaunch();
      await probeBroker(component, endpoint, request.settings, alive);
    },
    started.removeFiles,
  );
  return disposeOnFailure(component, async () => {
    await probeBroker(component, endpoint, request.settings, alive);
    return brokerFrom(component, variant, started.version, {
      ...endpoint,
      peer: { host: '127.0.0.1', port: started.port },
    });
  });
}

/** The URL plus, for the secured variant, the credentials and the CA every client needs. */
function endpointOf(label: string, url: string, variant: MosquittoVariant): BrokerEndpoint {
  const security = variant.security;
  return security
    ? { label, url, clientOptions: { username: security.username, password: security.password, ca: security.caPem } }
    : { label, url };
}

function securityContent(material: SecurityMaterial): MosquittoSecurityContent {
  const read = (path: string) => readFileSync(path, 'utf8');
  return {
    caPem: material.caPem,
    certPem: read(material.files.cert),
    keyPem: read(material.files.key),
    passwordFile: read(material.files.passwords),
    aclFile: read(material.files.acl),
  };
}

function brokerFrom(
  component: ContainerComponent | ProcessComponent,
  variant: MosquittoVariant,
  version: string,
  fields: Pick<StartedBroker, 'url' | 'peer' | 'clientOptions' | 'containerId'>,
): StartedBroker {
  return {
    target: variant.target,
    label: component.label,
    runtime: component.runtime,
    version: `mosquitto ${version}`,
    faults: component.faults,
    behaviour: variant.behaviour(version),
    logTail: (lines) => component.logTail(lines),
    liveness: () => component.liveness(),
    cpuTime: () => component.cpuTime(),
    dispose: () => component.dispose(),
    ...fields,
  };
}
