import { AbstractStartedContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { TestbenchContainer } from '../../runtime/container/testbench-container.js';
import type { LogBuffer } from '../../runtime/process/log-buffer.js';

const MQTT_PORT = 1883;
const DASHBOARD_PORT = 18083;
/**
 * Printed by emqx_machine_boot once every app started: `EMQX 5.8.8 is running now!`, or
 * `EMQX Enterprise 5.8.8 is running now!` from the enterprise image.
 */
export const EMQX_READY_LINE = /EMQX (?:Enterprise )?(\S+) is running now!/;
/** The Erlang VM boots slowly; EMQX's own docs budget minutes on small machines. */
export const EMQX_MIN_STARTUP_MS = 120_000;

/**
 * Configuration through EMQX_* environment variables (`__` separates config path levels).
 * EMQX 5 accepts anonymous clients while no authenticator is configured; authn is also turned off
 * on the listener to be explicit. The default file ACL refuses subscriptions to `#`, `+/#` and
 * `$SYS/#` from non-local clients: the suites never subscribe to those, and `no_match = allow`
 * keeps every test topic open.
 */
const EMQX_ENVIRONMENT: Record<string, string> = {
  EMQX_LISTENERS__TCP__DEFAULT__ENABLE_AUTHN: 'false',
  EMQX_AUTHORIZATION__NO_MATCH: 'allow',
  // Production-sized queues, as for Mosquitto (defaults: max_mqueue_len 1000, max_inflight 32, max_awaiting_rel 100).
  EMQX_MQTT__MAX_MQUEUE_LEN: '1000000',
  EMQX_MQTT__MAX_INFLIGHT: '1000',
  EMQX_MQTT__MAX_AWAITING_REL: '10000',
  // Not a secret: the dashboard is only reachable on a mapped loopback port for the run's length.
  EMQX_DASHBOARD__DEFAULT_PASSWORD: 'mqtt-testbench',
  // A slow subscriber (behind a paused forwarder, or among 1,000 publishers) must not be shut down
  // with its session for a mailbox over 1,000 messages or a heap over 32 MB: the loss would be
  // blamed on the forwarder. See the force_shutdown limit in emqx-behaviour.ts.
  EMQX_FORCE_SHUTDOWN__ENABLE: 'false',
  // The image names the Erlang node after the container's IP otherwise; disc-stored retained
  // messages live under the node name, so a restart with another IP would lose them.
  EMQX_NODE_NAME: 'emqx@127.0.0.1',
};

export class EmqxContainer extends TestbenchContainer {
  private hostPort: number | undefined;

  constructor(image: string, label: string) {
    super(image, label);
    this.withEnvironment(EMQX_ENVIRONMENT)
      .withWaitStrategy(
        Wait.forAll([Wait.forLogMessage(EMQX_READY_LINE), Wait.forHttp('/status', DASHBOARD_PORT).forStatusCode(200)]),
      )
      .withStartupTimeout(EMQX_MIN_STARTUP_MS);
  }

  /** Keep retained messages on disc so they survive a restart (sessions stay in memory). */
  withPersistence(): this {
    return this.withEnvironment({ EMQX_RETAINER__BACKEND__STORAGE_TYPE: 'disc' });
  }

  withHostPort(port: number): this {
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`host port ${port} is out of range: use 1-65535.`);
    this.hostPort = port;
    return this;
  }

  withNetworkAlias(network: StartedNetwork, alias: string): this {
    return this.withNetwork(network).withNetworkAliases(alias);
  }

  override async start(): Promise<StartedEmqxContainer> {
    this.withExposedPorts(this.hostPort ? { container: MQTT_PORT, host: this.hostPort } : MQTT_PORT, DASHBOARD_PORT);
    return new StartedEmqxContainer(await super.start(), this.logs);
  }
}

export class StartedEmqxContainer extends AbstractStartedContainer {
  constructor(
    started: StartedTestContainer,
    private readonly startLogs: LogBuffer,
  ) {
    super(started);
  }

  getPort(): number {
    return this.getMappedPort(MQTT_PORT);
  }

  getVersion(): string {
    const line = this.startLogs.linesSince(0).find((l) => EMQX_READY_LINE.test(l));
    return line?.match(EMQX_READY_LINE)?.[1] ?? 'unknown';
  }
}

export const EMQX_CONTAINER_PORT = MQTT_PORT;
