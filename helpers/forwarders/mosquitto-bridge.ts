import type {
  Availability,
  BrokerClientOptions,
  ForwarderDeclaration,
  ForwarderPeers,
  RuntimeKind,
  Settings,
  StartedForwarder,
} from '../model/index.js';
import { ContainerComponent } from '../runtime/container/container-component.js';
import { imageAvailability } from '../runtime/container/docker.js';
import { ProcessComponent } from '../runtime/process/process-component.js';
import { redact } from '../security/redact.js';
import {
  mosquittoConfig,
  type BridgeConnection,
  type BridgeRemoteSecurity,
} from '../targets/mosquitto/mosquitto-config.js';
import { MOSQUITTO_CONTAINER_CONFIG_DIR, MosquittoContainer } from '../targets/mosquitto/mosquitto-container.js';
import { startMosquittoProcess } from '../targets/mosquitto/mosquitto-process.js';
import {
  MOSQUITTO_IMAGE,
  missingMosquittoBinary,
  mosquittoBinary,
  mosquittoImage,
} from '../targets/mosquitto/mosquitto-settings.js';
import type { ForwarderDefinition, ForwarderStartContext } from './forwarder.js';
import { writeRunCaFile } from './forwarder-config.js';

const BRIDGE_QOS = 2;
export const FORWARDER_ALIAS = 'mqtt-forwarder';

/**
 * Mosquitto's built-in bridge as the forwarder: a separate Mosquitto instance between the two
 * brokers with one bridge connection to each (`in` from downstream, `out` to upstream). Running it
 * apart from the downstream broker makes it killable and pausable on its own, like any forwarder,
 * and lets it bridge from brokers other than Mosquitto.
 */
const DECLARATION: ForwarderDeclaration = {
  qos: { policy: 'max', qos: BRIDGE_QOS },
  retainForwarded: true,
  retainedDeleteForwarded: true,
  losslessAcrossRestart: false,
  routes: ['pass'],
  notes: [
    `Bridge topics use QoS ${BRIDGE_QOS}, so delivered QoS is min(published, ${BRIDGE_QOS}) (mosquitto.conf "topic ... in|out <qos>").`,
    'Both bridge connections use cleansession false: the downstream broker queues while the bridge is away, but messages held inside the bridge instance are in memory only, so a kill -9 may lose them.',
    'Towards Mosquitto peers the bridge announces itself (try_private true), so retained flags are kept as published.',
  ],
};

/** Mosquitto peers get the bridge's private protocol flag; other brokers may refuse it. */
const announcesBridgeTo = (target: string) => target === 'mosquitto' || target === 'mosquitto-secure';

/**
 * Retained messages and deletes keep their RETAIN flag only when the downstream broker knows the
 * bridge as a bridge (try_private): to any other client a live publish arrives with RETAIN=0
 * ([MQTT-3.3.1-9] in 3.1.1), so the bridge republishes it unretained upstream.
 */
function declarationFor(peers: ForwarderPeers): ForwarderDeclaration {
  if (announcesBridgeTo(peers.downstream)) return DECLARATION;
  return {
    ...DECLARATION,
    retainForwarded: false,
    retainedDeleteForwarded: false,
    notes: [
      ...DECLARATION.notes,
      `From a ${peers.downstream} downstream broker (no try_private), live retained publishes and retained deletes arrive with retain=0 and are forwarded unretained.`,
    ],
  };
}

export const mosquittoBridge: ForwarderDefinition = {
  kind: 'mosquitto-bridge',
  name: 'mosquitto-bridge',
  declaration: DECLARATION,
  declarationFor,

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (runtime === 'container') return imageAvailability(mosquittoImage(settings), MOSQUITTO_IMAGE.name);
    return mosquittoBinary(settings)
      ? { ok: true }
      : { ok: false, reason: `the mosquitto bridge needs a mosquitto binary: ${missingMosquittoBinary(settings)}` };
  },

  async start(context: ForwarderStartContext): Promise<StartedForwarder> {
    const label = `mosquitto-bridge (${context.runtime === 'container' ? 'container' : 'process'})`;
    if (context.runtime === 'container') {
      const caFiles: { content: string; target: string; mode: number }[] = [];
      const bridges = bridgeConnections(context, context.downstreamPeer, context.upstreamPeer, (name, pem) => {
        const target = `${MOSQUITTO_CONTAINER_CONFIG_DIR}/${name}-ca.pem`;
        caFiles.push({ content: pem, target, mode: 0o644 });
        return target;
      });
      const container = new MosquittoContainer(mosquittoImage(context.settings), label).withStartupTimeout(
        context.settings.startupTimeoutMs,
      );
      for (const bridge of bridges) container.withBridge(bridge);
      if (caFiles.length > 0) container.withCopyContentToContainer(caFiles);
      if (context.network) container.withNetworkAlias(context.network, FORWARDER_ALIAS);
      const started = await container.start();
      // Readiness of the path is proven by the testbed's probe through every rule.
      const component = new ContainerComponent(label, started, () => Promise.resolve());
      return forwarderFrom(component, mosquittoConfig({ port: 1883, bridges }), declarationFor(peersOf(context)));
    }
    const binary = mosquittoBinary(context.settings);
    if (!binary) throw new Error(`${label}: ${missingMosquittoBinary(context.settings)}`);
    const bridges = bridgeConnections(context, context.downstreamHost, context.upstreamHost, (_name, pem) =>
      writeRunCaFile(pem),
    );
    const started = await startMosquittoProcess({
      label,
      binary,
      bridges,
      startupTimeoutMs: context.settings.startupTimeoutMs,
    });
    const component = new ProcessComponent(label, started.process, () => started.relaunch(), started.removeFiles);
    return forwarderFrom(
      component,
      mosquittoConfig({ bindAddress: '127.0.0.1', port: started.port, bridges }),
      declarationFor(peersOf(context)),
    );
  },
};

/** Bridge credentials and CA file for a secured remote broker; `caFileFor` puts the CA where the bridge runs. */
function remoteSecurity(
  options: BrokerClientOptions | undefined,
  name: string,
  caFileFor: (name: string, pem: string) => string,
): BridgeRemoteSecurity | undefined {
  if (!options) return undefined;
  return {
    username: options.username,
    password: options.password,
    cafile: options.ca === undefined ? undefined : caFileFor(name, options.ca),
  };
}

function bridgeConnections(
  context: ForwarderStartContext,
  downstream: { host: string; port: number },
  upstream: { host: string; port: number },
  caFileFor: (name: string, pem: string) => string,
): BridgeConnection[] {
  const rules = context.rules.filter((rule) => rule.route === 'pass');
  const stem = (filter: string) => filter.replace(/#$/, '');
  return [
    {
      name: 'from-downstream',
      address: downstream.host,
      port: downstream.port,
      clientId: `${context.clientIdPrefix}-bridge-in`,
      cleanSession: false,
      tryPrivate: announcesBridgeTo(context.downstreamTarget),
      remote: remoteSecurity(context.downstreamClientOptions, 'from-downstream', caFileFor),
      // Remote (downstream) topic = remote prefix + pattern; local topic = local prefix + pattern.
      topics: rules.map((rule) => ({
        pattern: '#',
        direction: 'in' as const,
        qos: BRIDGE_QOS,
        localPrefix: stem(rule.targetPattern),
        remotePrefix: stem(rule.sourceFilter),
      })),
    },
    {
      name: 'to-upstream',
      address: upstream.host,
      port: upstream.port,
      clientId: `${context.clientIdPrefix}-bridge-out`,
      cleanSession: false,
      tryPrivate: announcesBridgeTo(context.upstreamTarget),
      remote: remoteSecurity(context.upstreamClientOptions, 'to-upstream', caFileFor),
      topics: rules.map((rule) => ({ pattern: rule.targetPattern, direction: 'out' as const, qos: BRIDGE_QOS })),
    },
  ];
}

function peersOf(context: ForwarderStartContext): ForwarderPeers {
  return { downstream: context.downstreamTarget, upstream: context.upstreamTarget, mqtt5: context.mqtt5 };
}

function forwarderFrom(
  component: ContainerComponent | ProcessComponent,
  configText: string,
  declaration: ForwarderDeclaration,
): StartedForwarder {
  return {
    kind: 'mosquitto-bridge',
    name: 'mosquitto-bridge',
    declaration,
    configText: redact(configText),
    label: component.label,
    runtime: component.runtime,
    faults: component.faults,
    logTail: (lines) => component.logTail(lines),
    liveness: () => component.liveness(),
    cpuTime: () => component.cpuTime(),
    dispose: () => component.dispose(),
  };
}
