// The forwarder's configuration file, in one place. Every field of the
// original C forwarder's schema loads unchanged; the extensions are optional.
// Each field: a JSDoc line and its default. forwarder/README.md documents the
// same fields for users. Cross-field rules (client references, topic mapping,
// hosts, ...) live in validate.ts.

import { z } from 'zod';

const intIn = (min: number, max: number) => {
  const allowed = `an integer from ${min} to ${max}`;
  return z.number({ error: allowed }).int({ error: allowed }).min(min, { error: allowed }).max(max, { error: allowed });
};

const bool = () => z.boolean({ error: 'true or false' });
const text = () => z.string({ error: 'a string' });
const nonEmptyText = () => z.string({ error: 'a non-empty string' }).min(1, { error: 'a non-empty string' });
const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.strictObject(shape, { error: 'an object' });

export const MAX_PORT = 65_535;
export const MAX_KEEPALIVE_S = 65_535;
/** Largest session expiry MQTT 5 can express (0xFFFFFFFF means "never expires"). */
export const MAX_SESSION_EXPIRY_S = 4_294_967_295;
const MAX_DURATION_MS = 86_400_000;
const MAX_QUEUED = 10_000_000;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const QOS_POLICIES = ['preserve', 0, 1, 2] as const;
export const RETAIN_HANDLINGS = ['preserve', 'strip', 'drop'] as const;
export const PROTOCOL_VERSIONS = [4, 5] as const;

const logLevel = z.enum(LOG_LEVELS, { error: 'one of "debug", "info", "warn", "error"' });
const qosPolicy = z.union([z.literal('preserve'), z.literal(0), z.literal(1), z.literal(2)], {
  error: '"preserve" (forward with the QoS received), or 0, 1 or 2 (forward at that QoS)',
});
const retainHandling = z.enum(RETAIN_HANDLINGS, { error: 'one of "preserve", "strip", "drop"' });
const protocolVersion = z.union([z.literal(4), z.literal(5)], { error: '4 (MQTT 3.1.1) or 5 (MQTT 5)' });

const tls = object({
  /** PEM file with the CA certificate(s) to trust; relative to the config file. Default: Node's CA store. */
  ca: nonEmptyText().nullable().default(null),
  /** PEM client certificate file (mutual TLS). Default: none. */
  cert: nonEmptyText().nullable().default(null),
  /** PEM private key file for `cert`. Default: none. */
  key: nonEmptyText().nullable().default(null),
  /** Verify the broker certificate and host name. Default: true. */
  reject_unauthorized: bool().default(true),
  /** Server name for SNI and certificate checks. Default: the client's `ip` when it is a host name. */
  servername: nonEmptyText().nullable().default(null),
});

/**
 * Connection settings shared by `mqtt` (defaults for every client) and each
 * `clients[]` entry (overrides). In a client, an absent field inherits from
 * `mqtt`; `null` means "none" for username, password and tls.
 */
const connectionFields = {
  /** Keep alive interval in seconds (0 disables). Default: 60. */
  keepalive: intIn(0, MAX_KEEPALIVE_S),
  /** false = persistent session (needs a fixed client_id). Default: true. */
  clean_session: bool(),
  /** User name for CONNECT. Default: none. */
  username: text().nullable(),
  /** Password for CONNECT; never logged. Default: none. */
  password: text().nullable(),
  /** MQTT protocol version: 4 = 3.1.1, 5 = MQTT 5. Default: 4. */
  protocol_version: protocolVersion,
  /** MQTT 5 session expiry in seconds. Default: 0 with clean_session true, else 3600. */
  session_expiry_s: intIn(0, MAX_SESSION_EXPIRY_S).nullable(),
  /** Give up a connection attempt without CONNACK after this many ms. Default: 10000. */
  connect_timeout_ms: intIn(100, MAX_DURATION_MS),
  /** First reconnect delay in ms; doubles per failed attempt. Default: 100. */
  reconnect_min_ms: intIn(10, MAX_DURATION_MS),
  /** Cap of the reconnect delay in ms. Default: 2000. */
  reconnect_max_ms: intIn(10, MAX_DURATION_MS),
  /** TLS settings; null or absent = plain TCP. Default: null. */
  tls: tls.nullable(),
};

export const DEFAULT_MQTT_PORT = 1883;

const mqttDefaults = object({
  /** Broker port for clients whose `port` is null or absent. Default: 1883. */
  port: intIn(1, MAX_PORT).default(DEFAULT_MQTT_PORT),
  /**
   * Legacy (C forwarder) QoS. Validated but NOT applied, as the C forwarder never
   * applied it; the top-level `qos_policy` decides. Default: 0.
   */
  qos: intIn(0, 2).default(0),
  /** Legacy retain flag. Validated but NOT applied; `retain_handling` decides. Default: false. */
  retain: bool().default(false),
  keepalive: connectionFields.keepalive.default(60),
  clean_session: connectionFields.clean_session.default(true),
  username: connectionFields.username.default(null),
  password: connectionFields.password.default(null),
  protocol_version: connectionFields.protocol_version.default(4),
  session_expiry_s: connectionFields.session_expiry_s.default(null),
  connect_timeout_ms: connectionFields.connect_timeout_ms.default(10_000),
  reconnect_min_ms: connectionFields.reconnect_min_ms.default(100),
  reconnect_max_ms: connectionFields.reconnect_max_ms.default(2000),
  tls: connectionFields.tls.default(null),
});

const client = object({
  /** Name the rules refer to; unique. Required. */
  name: nonEmptyText(),
  /** Broker host: IPv4, IPv6 or DNS name. Required. */
  ip: nonEmptyText(),
  /** Broker port; null or absent = `mqtt.port`. */
  port: intIn(1, MAX_PORT).nullable().default(null),
  /** MQTT client identifier; fixed, so persistent sessions survive restarts. Required. */
  client_id: nonEmptyText(),
  keepalive: connectionFields.keepalive.optional(),
  clean_session: connectionFields.clean_session.optional(),
  username: connectionFields.username.optional(),
  password: connectionFields.password.optional(),
  protocol_version: connectionFields.protocol_version.optional(),
  session_expiry_s: connectionFields.session_expiry_s.optional(),
  connect_timeout_ms: connectionFields.connect_timeout_ms.optional(),
  reconnect_min_ms: connectionFields.reconnect_min_ms.optional(),
  reconnect_max_ms: connectionFields.reconnect_max_ms.optional(),
  tls: connectionFields.tls.optional(),
});

const endpoint = object({
  /** Name of a client in `clients`. Required. */
  client: nonEmptyText(),
  /** Source: an MQTT topic filter. Target: a topic, or a pattern whose "+"/"#" take the source's. Required. */
  topic: nonEmptyText(),
});

const rule = object({
  /** Unique rule name (used in logs and counters). Required. */
  name: nonEmptyText(),
  /** Free text, any language. Default: "". */
  description: text().default(''),
  /** Where messages come from. Required. */
  source: endpoint,
  /** Where they go. Required. */
  target: endpoint,
  /** "EventCall", "CommandCall", or null / "None" / absent for pass-through. Default: null. */
  callback: text().nullable().default(null),
  /** Disabled rules are validated but not run. Default: true. */
  enabled: bool().default(true),
  /** Overrides the top-level `qos_policy` for this rule. Default: the top-level value. */
  qos_policy: qosPolicy.optional(),
  /** Overrides the top-level `retain_handling` for this rule. Default: the top-level value. */
  retain_handling: retainHandling.optional(),
});

export const configSchema = object({
  /** "debug" | "info" | "warn" | "error"; the LOG_LEVEL environment variable overrides it. Default: "info". */
  log_level: logLevel.default('info'),
  /** Defaults for every client connection. Default: {}. */
  mqtt: mqttDefaults.default(mqttDefaults.parse({})),
  /** Broker connections. Required. */
  clients: z.array(client, { error: 'an array of clients' }),
  /** Forwarding rules; at least one must be enabled. Required. */
  rules: z.array(rule, { error: 'an array of rules' }),
  /** QoS of forwarded messages: "preserve" (as received) or a fixed 0, 1, 2. Default: "preserve". */
  qos_policy: qosPolicy.default('preserve'),
  /** Retain flag of forwarded messages: "preserve", "strip" (always 0) or "drop" (skip retained). Default: "preserve". */
  retain_handling: retainHandling.default('preserve'),
  /** Forward stored retained messages again on every re-subscription (the C forwarder's behaviour). Default: false. */
  replay_retained_on_reconnect: bool().default(false),
  /** Per source client: unacknowledged QoS 1/2 messages; per target client: unconfirmed publishes. Default: 1000. */
  max_inflight: intIn(1, 65_535).default(1000),
  /** Per target client: messages waiting for the connection; QoS 0 beyond this are dropped (queue_full). Default: 10000. */
  max_queued: intIn(1, MAX_QUEUED).default(10_000),
  /** On SIGTERM/SIGINT, wait at most this long for in-flight messages. Default: 5000. */
  drain_timeout_ms: intIn(0, MAX_DURATION_MS).default(5000),
  /** Interval of the "stats" log line in ms; 0 disables it. Default: 10000. */
  stats_interval_ms: intIn(0, MAX_DURATION_MS).default(10_000),
  /** Port of the Prometheus /metrics endpoint; null disables it. Default: null. */
  metrics_port: intIn(1, MAX_PORT).nullable().default(null),
  /** Address the metrics endpoint listens on. Default: "127.0.0.1". */
  metrics_host: nonEmptyText().default('127.0.0.1'),
});

export type RawConfig = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ClientConfig = Config['clients'][number];
export type RuleConfig = Config['rules'][number];
export type MqttDefaults = Config['mqtt'];
export type TlsConfig = z.output<typeof tls>;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type QosPolicy = (typeof QOS_POLICIES)[number];
export type RetainHandling = (typeof RETAIN_HANDLINGS)[number];
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
