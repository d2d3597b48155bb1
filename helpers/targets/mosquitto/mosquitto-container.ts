import { AbstractStartedContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { TestbenchContainer } from '../../runtime/container/testbench-container.js';
import type { LogBuffer } from '../../runtime/process/log-buffer.js';
import {
  MOSQUITTO_READY_LINE,
  mosquittoConfig,
  type BridgeConnection,
  type MosquittoSecurityFiles,
} from './mosquitto-config.js';

const MQTT_PORT = 1883;
const MQTTS_PORT = 8883;
const CONFIG_DIR = '/mosquitto/config';
const CONFIG_PATH = `${CONFIG_DIR}/mosquitto.conf`;
/** Where the TLS and authentication files go (readable by the broker's user: they hold a CA, a test key, a password hash). */
const SECURITY_PATHS: MosquittoSecurityFiles = {
  cafile: `${CONFIG_DIR}/ca.pem`,
  certfile: `${CONFIG_DIR}/server.pem`,
  keyfile: `${CONFIG_DIR}/server.key`,
  passwordFile: `${CONFIG_DIR}/passwords`,
  aclFile: `${CONFIG_DIR}/acl`,
};

/** Contents of the files a secured Mosquitto needs (see SecurityMaterial). */
export interface MosquittoSecurityContent {
  caPem: string;
  certPem: string;
  keyPem: string;
  passwordFile: string;
  aclFile: string;
}
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
  private security: MosquittoSecurityContent | undefined;

  constructor(image: string, label: string) {
    super(image, label);
    this.withWaitStrategy(Wait.forLogMessage(MOSQUITTO_READY_LINE)).withStartupTimeout(60_000);
  }

  /** Keep retained messages and sessions across a graceful restart. */
  withPersistence(): this {
    this.persistence = true;
    return this;
  }

  /** Serve TLS on 8883 (instead of plain MQTT on 1883) and admit only the password file's users, within the ACL. */
  withSecurity(content: MosquittoSecurityContent): this {
    this.security = content;
    return this;
  }

  withBridge(bridge: BridgeConnection): this {
    this.bridges.push(bridge);
    return this;
  }

  /** Binds the MQTT port (1883, or 8883 with security) to a fixed host port so the URL survives restarts (Docker re-picks random ports). */
  withHostPort(port: number): this {
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`host port ${port} is out of range: use 1-65535.`);
    this.hostPort = port;
    return this;
  }

  withNetworkAlias(network: StartedNetwork, alias: string): this {
    return this.withNetwork(network).withNetworkAliases(alias);
  }

  override async start(): Promise<StartedMosquittoContainer> {
    const port = this.security ? MQTTS_PORT : MQTT_PORT;
    const config = mosquittoConfig({
      port,
      persistence: this.persistence ? { location: DATA_PATH } : undefined,
      bridges: this.bridges,
      security: this.security ? SECURITY_PATHS : undefined,
    });
    this.withExposedPorts(this.hostPort ? { container: port, host: this.hostPort } : port)
      .withCopyContentToContainer([
        { content: config, target: CONFIG_PATH, mode: 0o644 },
        ...securityFiles(this.security),
      ])
      .withCommand([MOSQUITTO_BIN, '-c', CONFIG_PATH]);
    return new StartedMosquittoContainer(await super.start(), this.logs, port);
  }
}

export class StartedMosquittoContainer extends AbstractStartedContainer {
  constructor(
    started: StartedTestContainer,
    private readonly startLogs: LogBuffer,
    private readonly port: number,
  ) {
    super(started);
  }

  getPort(): number {
    return this.getMappedPort(this.port);
  }

  getConnectionString(): string {
    return `${this.port === MQTTS_PORT ? 'mqtts' : 'mqtt'}://${this.getHost()}:${this.getPort()}`;
  }

  /** Version from the ready line, e.g. `2.0.11`. */
  getVersion(): string {
    const line = this.startLogs.linesSince(0).find((l) => MOSQUITTO_READY_LINE.test(l));
    return line?.match(MOSQUITTO_READY_LINE)?.[1] ?? 'unknown';
  }
}

export const MOSQUITTO_CONTAINER_PORT = MQTT_PORT;
export const MOSQUITTO_CONTAINER_TLS_PORT = MQTTS_PORT;
/** Where a Mosquitto container (a bridge) finds a CA file copied in with `withCopyContentToContainer`. */
export const MOSQUITTO_CONTAINER_CONFIG_DIR = CONFIG_DIR;

function securityFiles(
  content: MosquittoSecurityContent | undefined,
): { content: string; target: string; mode: number }[] {
  if (!content) return [];
  return [
    { content: content.caPem, target: SECURITY_PATHS.cafile, mode: 0o644 },
    { content: content.certPem, target: SECURITY_PATHS.certfile, mode: 0o644 },
    { content: content.keyPem, target: SECURITY_PATHS.keyfile, mode: 0o644 },
    { content: content.passwordFile, target: SECURITY_PATHS.passwordFile, mode: 0o644 },
    { content: content.aclFile, target: SECURITY_PATHS.aclFile, mode: 0o644 },
  ];
}
