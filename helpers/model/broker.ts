/**
 * The vocabulary every layer shares: brokers, components and their runtimes. Types only; this
 * folder imports nothing (`npm run lint` checks it), so any folder can use it without a cycle.
 */

/** A QoS level of MQTT. */
export type Qos = 0 | 1 | 2;

/** The MQTT protocol level a client speaks: 4 (MQTT 3.1.1) or 5. */
export type ProtocolVersion = 4 | 5;

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
 * How an entry of a behaviour table relates to the MQTT spec: `spec` the broker does what the spec
 * requires, `choice` where the spec leaves it to the broker, `deviation` where the broker departs
 * from the spec, `limit` a built-in or configured limit a test can run into.
 */
export type BehaviourKind = 'spec' | 'choice' | 'deviation' | 'limit';

/** One thing a broker documents, with where it documents it. */
export interface Documented<T> {
  value: T;
  kind: BehaviourKind;
  /** What the broker does, in one sentence for reports and test messages. */
  says: string;
  /** Where the broker documents it: a link to its documentation (or to its source where the docs are silent). */
  source: string;
}

/**
 * A target's behaviour table: what the broker documents where the MQTT spec leaves a choice or where
 * it deviates, for the version that runs. Suites read their expectations from here (never from a
 * table of their own), and reports show it, so a deviation is always declared, never taken silently
 * from what the broker happens to do.
 */
export interface BrokerBehaviour {
  /** Product version the table was resolved for, e.g. `2.0.11` or `3.10.8` (`unknown` when it cannot be known before start). */
  version: string;
  /** Highest QoS the broker grants in a SUBACK, and so delivers ([MQTT-3.8.4-5] lets it grant less than asked). */
  maxQos: Documented<Qos>;
  /** Whether a QoS 2 PUBLISH gets the QoS 2 handshake (PUBREC, PUBREL, PUBCOMP) and exactly-once delivery. */
  qos2Publish: Documented<boolean>;
  /** QoS of a retained message sent to a new subscription: the spec's min(retained, granted), or its stored QoS. */
  retainedDeliveryQos: Documented<'min(retained, granted)' | 'as retained'>;
  /** Whether a new subscription with a wildcard filter gets the matching retained messages. */
  retainedToWildcardSubscriptions: Documented<boolean>;
  /** Whether QoS 0 messages are queued for an offline persistent session. */
  queuesQos0WhileOffline: Documented<boolean>;
  /** Whether MQTT 5 is supported. */
  mqtt5: Documented<boolean>;
  /** Whether an MQTT 5 Session Expiry Interval is honoured (0: ends at disconnect; > 0: kept that long). */
  sessionExpiry: Documented<boolean>;
  /** Limits a test or a production load can run into (in-flight window, queue lengths, overload protection). */
  limits: Documented<string>[];
  /** Anything else worth knowing, for the report. */
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
  /** A name of the target catalog (helpers/targets/catalog.ts); a string here so that the vocabulary imports nothing. */
  readonly target: string;
  /** Product and version as the broker reported it, e.g. `mosquitto 2.0.11`. */
  readonly version: string;
  /** URL that test clients on this host use. Stable across fault restarts. */
  readonly url: string;
  /** How a forwarder in the same runtime reaches this broker (a network alias in containers). */
  readonly peer: Endpoint;
  readonly behaviour: BrokerBehaviour;
  /** The Docker container's id (container runtime): the shared testbed attaches it to more networks. */
  readonly containerId?: string;
}
