import { AbstractStartedContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { TestbenchContainer } from '../../runtime/container/testbench-container.js';
import type { LogBuffer } from '../../runtime/process/log-buffer.js';
import { ENABLED_PLUGINS, RABBITMQ_READY_LINE, RABBITMQ_VERSION_LINE, rabbitmqConfig } from './rabbitmq-config.js';

const MQTT_PORT = 1883;
/** Outside /etc/rabbitmq, so the official image's own conf.d (10-defaults.conf) stays as it is. */
const CONFIG_DIR = '/etc/mqtt-testbench';

/**
 * RabbitMQ in a container: the official `rabbitmq` image, or the offline one built from Debian's
 * package (helpers/images/build-offline-images.sh); both run `rabbitmq-server` as their command
 * and read the configuration and the enabled-plugins file the environment points to.
 */
export class RabbitmqContainer extends TestbenchContainer {
  private hostPort: number | undefined;

  constructor(
    image: string,
    label: string,
    private readonly version: string,
  ) {
    super(image, label);
    this.withEnvironment({
      RABBITMQ_CONFIG_FILE: `${CONFIG_DIR}/rabbitmq.conf`,
      RABBITMQ_ENABLED_PLUGINS_FILE: `${CONFIG_DIR}/enabled_plugins`,
      // Stable across a restart of the container, so the node finds its Mnesia data again.
      RABBITMQ_NODENAME: 'rabbit@localhost',
    }).withWaitStrategy(Wait.forLogMessage(RABBITMQ_READY_LINE));
  }

  /** Binds the MQTT port to a fixed host port so the URL survives restarts (Docker re-picks random ports). */
  withHostPort(port: number): this {
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`host port ${port} is out of range: use 1-65535.`);
    this.hostPort = port;
    return this;
  }

  withNetworkAlias(network: StartedNetwork, alias: string): this {
    return this.withNetwork(network).withNetworkAliases(alias);
  }

  override async start(): Promise<StartedRabbitmqContainer> {
    this.withExposedPorts(
      this.hostPort ? { container: MQTT_PORT, host: this.hostPort } : MQTT_PORT,
    ).withCopyContentToContainer([
      {
        content: rabbitmqConfig({ mqttListener: String(MQTT_PORT), version: this.version }),
        target: `${CONFIG_DIR}/rabbitmq.conf`,
        mode: 0o644,
      },
      { content: ENABLED_PLUGINS, target: `${CONFIG_DIR}/enabled_plugins`, mode: 0o644 },
    ]);
    return new StartedRabbitmqContainer(await super.start(), this.logs);
  }
}

export class StartedRabbitmqContainer extends AbstractStartedContainer {
  constructor(
    started: StartedTestContainer,
    private readonly startLogs: LogBuffer,
  ) {
    super(started);
  }

  /** Version from the start log (`Starting RabbitMQ 3.10.8 on Erlang ...`). */
  getVersion(): string {
    for (const line of this.startLogs.linesSince(0)) {
      const version = RABBITMQ_VERSION_LINE.exec(line)?.[1];
      if (version) return version;
    }
    return 'unknown';
  }
}

export const RABBITMQ_CONTAINER_PORT = MQTT_PORT;
