import type { TargetName } from '../config/settings.js';

export type RuntimeKind = 'container' | 'process' | 'embedded' | 'external';

/** Whether something can run here, and if not, why (shown in test output and the report). */
export type Availability = { ok: true; detail?: string } | { ok: false; reason: string };

/** A host:port pair as seen from some vantage point. */
export interface Endpoint {
  host: string;
  port: number;
}

export type FaultName = 'stop' | 'kill' | 'start' | 'restart' | 'pause' | 'resume';

/**
 * Fault controls of a started component. `stop` is graceful (SIGTERM / docker stop), `kill` is
 * SIGKILL; after either, `start` brings the same component back (same ports, same config) and
 * waits until it is ready again.
 */
export interface FaultControls {
  readonly supported: ReadonlySet<FaultName>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Whether a started component still runs, and if not, what happened to it (in plain words). */
export type Liveness = { alive: true } | { alive: false; why: string };

/** CPU time a component has used so far, as far as the harness can see it. */
export type CpuReading =
  | { kind: 'measured'; cpuMs: number }
  /** It runs inside the harness's own process: its CPU cannot be told apart from the harness's. */
  | { kind: 'in-process'; why: string }
  | { kind: 'unknown'; why: string };

/** Something the testbed started and must stop: a broker or a forwarder. */
export interface StartedComponent {
  /** Short label used in logs and errors, e.g. `mosquitto (container)` or `mqtt-broker-upstream`. */
  readonly label: string;
  readonly runtime: RuntimeKind;
  readonly faults: FaultControls;
  /** The last lines the component logged (empty for components without logs). */
  logTail(lines?: number): Promise<string>;
  /**
   * Whether it still runs (a paused component does): lets a test that lost its broker or
   * forwarder say which one died and how (e.g. `exited with signal SIGKILL`) instead of timing out.
   */
  liveness(): Promise<Liveness>;
  /** CPU time used so far (process tree of a process or container), so a run can tell who took the CPU. */
  cpuTime(): Promise<CpuReading>;
  /** Stops and removes the component. Idempotent; never throws for an already gone component. */
  dispose(): Promise<void>;
}

/**
 * Broker behaviour that the MQTT spec leaves to the implementation, as each target documents it.
 * Suites assert against these instead of hard-coding one broker's choice.
 */
export interface BrokerBehaviour {
  /** Whether QoS 0 messages are queued for an offline persistent session. */
  queuesQos0WhileOffline: boolean;
  /** Whether MQTT 5 is supported. */
  mqtt5: boolean;
  /** Where the documented choice comes from (config option + default), for the report. */
  notes: string[];
}

/**
 * What a client needs besides the URL to be let in: credentials and the CA that signed the
 * broker's certificate (PEM). A subset of mqtt.js IClientOptions; absent for open brokers.
 * Never put credentials into a URL instead: URLs end up in error messages and reports.
 */
export interface BrokerClientOptions {
  username?: string;
  password?: string;
  /** PEM of the CA that signed the broker's TLS certificate (mqtts:// URLs). */
  ca?: string;
  /** TLS server name to verify, when the URL's host is not one the certificate names. */
  servername?: string;
}

/**
 * How a client on this host reaches a broker: every place that connects (test clients, probes,
 * the load engine through `connectOptionsFor`) takes one of these, not a bare URL, so a broker
 * that needs credentials or TLS trust gets them everywhere. A StartedBroker is one.
 */
export interface BrokerEndpoint {
  /** Names the broker in errors, e.g. `mosquitto-secure (container)`. */
  readonly label: string;
  /** URL without credentials, e.g. `mqtt://127.0.0.1:1883` or `mqtts://localhost:40123`. */
  readonly url: string;
  readonly clientOptions?: BrokerClientOptions;
}

export interface StartedBroker extends StartedComponent, BrokerEndpoint {
  readonly target: TargetName;
  /** Product and version as the broker reported it, e.g. `mosquitto 2.0.11`. */
  readonly version: string;
  /** URL that test clients on this host use. Stable across fault restarts. */
  readonly url: string;
  /** How a forwarder in the same runtime reaches this broker (a network alias in containers). */
  readonly peer: Endpoint;
  readonly behaviour: BrokerBehaviour;
}
