import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wait } from 'testcontainers';
import type {
  Availability,
  ForwarderDeclaration,
  ForwarderPeers,
  RuntimeKind,
  Settings,
  StartedForwarder,
} from '../model/index.js';
import { ContainerComponent } from '../runtime/container/container-component.js';
import { imageAvailability } from '../runtime/container/docker.js';
import { TestbenchContainer } from '../runtime/container/testbench-container.js';
import { ManagedProcess } from '../runtime/process/managed-process.js';
import { ProcessComponent } from '../runtime/process/process-component.js';
import { runContext, uniqueName } from '../runtime/run-context.js';
import { redact } from '../security/redact.js';
import type { ForwarderDefinition, ForwarderStartContext } from './forwarder.js';
import { clientSecurity, forwarderConfig, writeRunCaFile } from './forwarder-config.js';
import { FORWARDER_ALIAS } from './mosquitto-bridge.js';

/** The bundle `npm run build` writes; one self-contained file, so a container needs nothing else. */
export const REFERENCE_BUNDLE = fileURLToPath(new URL('../../dist/mqtt-forwarder.mjs', import.meta.url));
const READY_LINE = /forwarder ready/;
const CONTAINER_BUNDLE_PATH = '/app/mqtt-forwarder.mjs';
export const CONTAINER_CONFIG_PATH = '/etc/mqtt-forwarder.json';
/** CA files of secured brokers inside a forwarder container (one per side). */
export const CONTAINER_CA_PATHS = {
  downstream: '/etc/mqtt-forwarder-downstream-ca.pem',
  upstream: '/etc/mqtt-forwarder-upstream-ca.pem',
} as const;

const DECLARATION: ForwarderDeclaration = {
  qos: { policy: 'preserve' },
  retainForwarded: true,
  retainedDeleteForwarded: true,
  losslessAcrossRestart: true,
  routes: ['pass', 'event'],
  notes: [
    'QoS preserved: subscribes at QoS 2 and republishes with the QoS it received (qos_policy "preserve").',
    'QoS 1/2 messages are acknowledged downstream only after the upstream broker confirmed them, with persistent sessions: a kill -9 loses nothing (a duplicate is possible).',
    'Between brokers that speak MQTT 5 the testbed configures protocol_version 5, so live retained publishes keep their flag (Retain As Published).',
  ],
};

/**
 * On MQTT 3.1.1 a live retained publish reaches any subscriber with RETAIN=0 [MQTT-3.3.1-9], so
 * the forwarder cannot keep the flag there; retained deletes still get through (it forwards empty
 * payloads as retained deletes).
 */
function declarationFor(peers: ForwarderPeers): ForwarderDeclaration {
  if (peers.mqtt5) return DECLARATION;
  return {
    ...DECLARATION,
    retainForwarded: false,
    notes: [
      ...DECLARATION.notes.slice(0, 2),
      `Between ${peers.downstream} and ${peers.upstream} (not both MQTT 5) it connects with MQTT 3.1.1: live retained publishes arrive unretained and are forwarded unretained; empty payloads are forwarded as retained deletes.`,
    ],
  };
}

export const referenceForwarder: ForwarderDefinition = {
  kind: 'reference',
  name: 'reference',
  declaration: DECLARATION,
  declarationFor,

  async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (!existsSync(REFERENCE_BUNDLE))
      return {
        ok: false,
        reason: `${REFERENCE_BUNDLE} does not exist: run \`npm run build\` first (npm test does it).`,
      };
    if (runtime === 'container') return imageAvailability(settings.nodeImage, 'MQTT_TESTBENCH_NODE_IMAGE');
    return { ok: true, detail: `node ${process.version} runs ${REFERENCE_BUNDLE}` };
  },

  async start(context: ForwarderStartContext): Promise<StartedForwarder> {
    if (context.runtime === 'container') return startInContainer(context);
    return startAsProcess(context);
  },
};

/** A CA to copy into the forwarder's container, and where. */
export interface ContainerFile {
  content: string;
  target: string;
  mode: number;
}

/**
 * The config, and the CA files it names: inside a container at fixed paths (to copy in), on this
 * host in the run's folder (written now).
 */
function configFor(
  context: ForwarderStartContext,
  inContainer: boolean,
): { configText: string; files: ContainerFile[] } {
  const files: ContainerFile[] = [];
  const caFile = (side: 'downstream' | 'upstream') => (pem: string) => {
    if (!inContainer) return writeRunCaFile(pem);
    files.push({ content: pem, target: CONTAINER_CA_PATHS[side], mode: 0o644 });
    return CONTAINER_CA_PATHS[side];
  };
  const configText = forwarderConfig({
    downstream: inContainer ? context.downstreamPeer : context.downstreamHost,
    upstream: inContainer ? context.upstreamPeer : context.upstreamHost,
    rules: context.rules,
    clientIdPrefix: context.clientIdPrefix,
    persistentSession: true,
    protocolVersion: context.mqtt5 ? 5 : 4,
    downstreamSecurity: clientSecurity(context.downstreamClientOptions, caFile('downstream')),
    upstreamSecurity: clientSecurity(context.upstreamClientOptions, caFile('upstream')),
  });
  return { configText, files };
}

async function startInContainer(context: ForwarderStartContext): Promise<StartedForwarder> {
  const label = 'reference forwarder (container)';
  const { configText, files } = configFor(context, true);
  const container = new TestbenchContainer(context.settings.nodeImage, label)
    .withCopyContentToContainer([
      { content: readFileSync(REFERENCE_BUNDLE), target: CONTAINER_BUNDLE_PATH, mode: 0o755 },
      { content: configText, target: CONTAINER_CONFIG_PATH, mode: 0o644 },
      ...files,
    ])
    .withCommand(['node', CONTAINER_BUNDLE_PATH, '-c', CONTAINER_CONFIG_PATH])
    .withWaitStrategy(Wait.forLogMessage(READY_LINE))
    .withStartupTimeout(context.settings.startupTimeoutMs);
  if (context.network) container.withNetwork(context.network).withNetworkAliases(FORWARDER_ALIAS);
  const started = await container.start();
  const component = new ContainerComponent(label, started, () => Promise.resolve());
  return forwarderFrom(
    component,
    configText,
    declarationFor({ downstream: context.downstreamTarget, upstream: context.upstreamTarget, mqtt5: context.mqtt5 }),
  );
}

async function startAsProcess(context: ForwarderStartContext): Promise<StartedForwarder> {
  const label = 'reference forwarder (process)';
  const { configText } = configFor(context, false);
  const configPath = join(runContext().runDir, `${uniqueName('forwarder')}.json`);
  // 0600: it may hold a broker password.
  writeFileSync(configPath, configText, { mode: 0o600 });
  const proc = new ManagedProcess({ label, command: process.execPath, args: [REFERENCE_BUNDLE, '-c', configPath] });
  const launch = async () => {
    const fromLine = proc.logs.lineCount;
    await proc.start();
    await proc.waitForLogLine(READY_LINE, context.settings.startupTimeoutMs, fromLine);
  };
  const component = new ProcessComponent(label, proc, launch, () => rmSync(configPath, { force: true }));
  try {
    await launch();
  } catch (error) {
    await component.dispose();
    throw error;
  }
  return forwarderFrom(
    component,
    configText,
    declarationFor({ downstream: context.downstreamTarget, upstream: context.upstreamTarget, mqtt5: context.mqtt5 }),
  );
}

function forwarderFrom(
  component: ContainerComponent | ProcessComponent,
  configText: string,
  declaration: ForwarderDeclaration,
): StartedForwarder {
  return {
    kind: 'reference',
    name: 'reference',
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
