import { readFileSync } from 'node:fs';
import type { Settings } from '../../config/settings.js';
import { ContainerComponent } from '../../runtime/container/container-component.js';
import { imageAvailability } from '../../runtime/container/docker.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { describeExit } from '../../runtime/process/managed-process.js';
import { ProcessComponent } from '../../runtime/process/process-component.js';
import type { SecurityMaterial } from '../../security/material.js';
import type { Availability, BrokerBehaviour, BrokerEndpoint, RuntimeKind, StartedBroker } from '../../testbed/types.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';
import {
  MOSQUITTO_CONTAINER_PORT,
  MOSQUITTO_CONTAINER_TLS_PORT,
  MosquittoContainer,
  type MosquittoSecurityContent,
} from './mosquitto-container.js';
import { findMosquittoBinary, startMosquittoProcess } from './mosquitto-process.js';

export const BEHAVIOUR: BrokerBehaviour = {
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

  availability: mosquittoAvailability,

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    if (request.runtime === 'container') return startInContainer(request);
    if (request.runtime === 'process') return startAsProcess(request);
    throw new Error(`mosquitto cannot run in the ${request.runtime} runtime.`);
  },
};

/** Whether Mosquitto can run in `runtime` here: its image (container) or its binary (process). */
export async function mosquittoAvailability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
  if (runtime === 'container') return imageAvailability(settings.mosquittoImage, 'MQTT_TESTBENCH_MOSQUITTO_IMAGE');
  if (runtime === 'process') {
    const binary = findMosquittoBinary(settings.mosquittoBin);
    return binary
      ? { ok: true, detail: binary }
      : {
          ok: false,
          reason: settings.mosquittoBin
            ? `MQTT_TESTBENCH_MOSQUITTO_BIN=${settings.mosquittoBin} is not an executable file.`
            : 'no mosquitto binary on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN.',
        };
  }
  return { ok: false, reason: `mosquitto runs in the container and process runtimes, not ${runtime}.` };
}

/** What differs between the plain and the secured Mosquitto target; the rest is shared. */
export interface MosquittoVariant {
  target: 'mosquitto' | 'mosquitto-secure';
  behaviour: BrokerBehaviour;
  /** TLS listener, password file and ACL from the run's material (mosquitto-secure). */
  security?: SecurityMaterial;
}

const PLAIN: MosquittoVariant = { target: 'mosquitto', behaviour: BEHAVIOUR };

export async function startInContainer(
  request: BrokerStartRequest,
  variant: MosquittoVariant = PLAIN,
): Promise<StartedBroker> {
  const label = brokerLabel(variant.target, 'container', request.role);
  const hostPort = await freeLoopbackPort();
  const container = new MosquittoContainer(request.settings.mosquittoImage, label)
    .withHostPort(hostPort)
    .withStartupTimeout(request.settings.startupTimeoutMs);
  if (variant.security) container.withSecurity(securityContent(variant.security));
  if (request.persistence) container.withPersistence();
  if (request.network && request.role) container.withNetworkAlias(request.network, request.role);
  const started = await container.start();
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
    return brokerFrom(component, variant, {
      ...endpoint,
      version: `mosquitto ${started.getVersion()}`,
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
  const binary = findMosquittoBinary(request.settings.mosquittoBin);
  if (!binary) throw new Error(`${label}: no mosquitto binary found (set MQTT_TESTBENCH_MOSQUITTO_BIN).`);
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
    return brokerFrom(component, variant, {
      ...endpoint,
      version: `mosquitto ${started.version}`,
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
  fields: Pick<StartedBroker, 'version' | 'url' | 'peer' | 'clientOptions'>,
): StartedBroker {
  return {
    target: variant.target,
    label: component.label,
    runtime: component.runtime,
    faults: component.faults,
    behaviour: variant.behaviour,
    logTail: (lines) => component.logTail(lines),
    liveness: () => component.liveness(),
    cpuTime: () => component.cpuTime(),
    dispose: () => component.dispose(),
    ...fields,
  };
}
