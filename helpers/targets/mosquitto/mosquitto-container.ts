import { AbstractStartedContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { TestbenchContainer } from '../../runtime/container/testbench-container.js';
import type { LogBuffer } from '../../runtime/process/log-buffer.js';
import { MOSQUITTO_READY_LINE, mosquittoConfig, type BridgeConnection } from './mosquitto-config.js';

const MQTT_PORT = 1883;
const CONFIG_PATH = '/mosquitto/config/mosquitto.conf';
const DATA_PATH = '/mosquitto/data';
const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/**
 * Mosquitto in a container (official `eclipse-mosquitto` image or the offline image built from
 * Debian's package, which uses the same paths). The configuration is generated and copied in.
 */
export class MosquittoContainer extends TestbenchContainer {
  private persistence = false;
  private readonly bridges: BridgeConnection[] = [];
  private hostPort: number | undefined;

  constructor(image: string, label: string) {
    super(image, label);
    this.withWaitStrategy(Wait.forLogMessage(MOSQUITTO_READY_LINE)).withStartupTimeout(60_000);
  }

  /** Keep retained messages and sessions across a graceful restart. */
  withPersistence(): this {
    this.persistence = true;
    return this;
  }

  withBridge(bridge: BridgeConnection): this {
    this.bridges.push(bridge);
    return this;
  }

  /** Binds 1883 to a fixed host port so the URL survives restarts (Docker re-picks random ports). */
  withHostPort(port: number): this {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`host port ${port} is out of range: use 1-65535.`);
    this.hostPort = port;
    return this;
  }

  withNetworkAlias(network: StartedNetwork, alias: string): this {
    return this.withNetwork(network).withNetworkAliases(alias);
  }

  override async start(): Promise<StartedMosquittoContainer> {
    const config = mosquittoConfig({ port: MQTT_PORT, persistence: this.persistence ? { location: DATA_PATH } : undefined, bridges: this.bridges });
    this.withExposedPorts(this.hostPort ? { container: MQTT_PORT, host: this.hostPort } : MQTT_PORT)
      .withCopyContentToContainer([{ content: config, target: CONFIG_PATH, mode: 0o644 }])
      .withCommand([MOSQUITTO_BIN, '-c', CONFIG_PATH]);
    return new StartedMosquittoContainer(await super.start(), this.logs);
  }
}

export class StartedMosquittoContainer extends AbstractStartedContainer {
  constructor(
    started: StartedTestContainer,
    private readonly startLogs: LogBuffer,
  ) {
    super(started);
  }

  getPort(): number {
    return this.getMappedPort(MQTT_PORT);
  }

  getConnectionString(): string {
    return `mqtt://${this.getHost()}:${this.getPort()}`;
  }

  /** Version from the ready line, e.g. `2.0.11`. */
  getVersion(): string {
    const line = this.startLogs.linesSince(0).find((l) => MOSQUITTO_READY_LINE.test(l));
    return line?.match(MOSQUITTO_READY_LINE)?.[1] ?? 'unknown';
  }
}

export const MOSQUITTO_CONTAINER_PORT = MQTT_PORT;
