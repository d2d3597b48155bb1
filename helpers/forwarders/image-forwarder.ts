import type { Availability, ForwarderDeclaration, RuntimeKind, Settings, StartedForwarder } from '../model/index.js';
import { ContainerComponent } from '../runtime/container/container-component.js';
import { imageAvailability } from '../runtime/container/docker.js';
import { TestbenchContainer } from '../runtime/container/testbench-container.js';
import { redact } from '../security/redact.js';
import type { ForwarderDefinition, ForwarderStartContext } from './forwarder.js';
import { clientSecurity, forwarderConfig } from './forwarder-config.js';
import { FORWARDER_ALIAS } from './mosquitto-bridge.js';
import { CONTAINER_CA_PATHS, CONTAINER_CONFIG_PATH, type ContainerFile } from './reference-forwarder.js';

/**
 * Any image that reads a forwarder config (the original schema) at /etc/mqtt-forwarder.json, as
 * the original C forwarder's image does, and runs with its own default command. Readiness is
 * proven by the testbed's end-to-end probe, since such an image has no known ready line.
 */
export function imageForwarder(image: string, declaration: ForwarderDeclaration): ForwarderDefinition {
  const name = `image:${image}`;
  return {
    kind: 'image',
    name,
    declaration,
    async availability(runtime: RuntimeKind, settings: Settings): Promise<Availability> {
      void settings;
      if (runtime !== 'container')
        return {
          ok: false,
          reason: `${name} needs the container runtime (this run uses ${runtime}); use command:<command line> to run a forwarder as a process.`,
        };
      return imageAvailability(image, 'MQTT_TESTBENCH_FORWARDER');
    },
    async start(context: ForwarderStartContext): Promise<StartedForwarder> {
      const label = `${name} (container)`;
      const caFiles: ContainerFile[] = [];
      const caFile = (side: 'downstream' | 'upstream') => (pem: string) => {
        caFiles.push({ content: pem, target: CONTAINER_CA_PATHS[side], mode: 0o644 });
        return CONTAINER_CA_PATHS[side];
      };
      // Secured brokers: per-client username/password/tls as the reference forwarder reads them.
      const configText = forwarderConfig({
        downstream: context.downstreamPeer,
        upstream: context.upstreamPeer,
        rules: context.rules.filter((rule) => declaration.routes.includes(rule.route)),
        clientIdPrefix: context.clientIdPrefix,
        persistentSession: true,
        downstreamSecurity: clientSecurity(context.downstreamClientOptions, caFile('downstream')),
        upstreamSecurity: clientSecurity(context.upstreamClientOptions, caFile('upstream')),
      });
      const container = new TestbenchContainer(image, label)
        .withCopyContentToContainer([{ content: configText, target: CONTAINER_CONFIG_PATH, mode: 0o644 }, ...caFiles])
        .withStartupTimeout(context.settings.startupTimeoutMs);
      if (context.network) container.withNetwork(context.network).withNetworkAliases(FORWARDER_ALIAS);
      const started = await container.start();
      const component = new ContainerComponent(label, started, () => Promise.resolve());
      return {
        kind: 'image',
        name,
        declaration,
        configText: redact(configText),
        label,
        runtime: 'container',
        faults: component.faults,
        logTail: (lines) => component.logTail(lines),
        liveness: () => component.liveness(),
        cpuTime: () => component.cpuTime(),
        dispose: () => component.dispose(),
      };
    },
  };
}
