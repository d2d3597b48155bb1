// From a validated config to the plan the forwarder runs: effective settings
// per client (client field, else `mqtt` default), enabled rules with their
// effective policies, and the merged subscriptions per source client.

import type { QoS } from '../qos.js';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { type CallbackName, isCallbackName } from '../callbacks/index.js';
import { type PlannedSubscription, planSubscriptions } from '../topics/subscriptions.js';
import type {
  ClientConfig,
  Config,
  LogLevel,
  ProtocolVersion,
  QosPolicy,
  RetainHandling,
  TlsConfig,
} from './schema.js';

/** MQTT 5 session expiry used for persistent sessions when session_expiry_s is not set. */
export const DEFAULT_PERSISTENT_SESSION_EXPIRY_S = 3600;

export interface TlsPlan {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  rejectUnauthorized: boolean;
  servername: string | null;
}

export interface ClientPlan {
  name: string;
  host: string;
  port: number;
  clientId: string;
  protocolVersion: ProtocolVersion;
  keepaliveS: number;
  cleanSession: boolean;
  /** MQTT 5 only. */
  sessionExpiryS: number;
  username: string | null;
  password: string | null;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  tls: TlsPlan | null;
}

export interface RulePlan {
  name: string;
  sourceClient: string;
  targetClient: string;
  sourceFilter: string;
  targetPattern: string;
  callback: CallbackName | null;
  qosPolicy: QosPolicy;
  retainHandling: RetainHandling;
}

export interface ForwarderPlan {
  logLevel: LogLevel;
  /** Only the clients some enabled rule uses. */
  clients: ClientPlan[];
  /** Only enabled rules, in config order. */
  rules: RulePlan[];
  /** Merged SUBSCRIBE filters per source client name. */
  subscriptions: Map<string, PlannedSubscription[]>;
  replayRetainedOnReconnect: boolean;
  maxInflight: number;
  maxQueued: number;
  drainTimeoutMs: number;
  statsIntervalMs: number;
  metrics: { port: number; host: string } | null;
}

function tlsPlan(tls: TlsConfig | null, host: string, baseDir: string): TlsPlan | null {
  if (tls === null) return null;
  const file = (path: string | null) => (path === null ? null : isAbsolute(path) ? path : resolve(baseDir, path));
  return {
    caFile: file(tls.ca),
    certFile: file(tls.cert),
    keyFile: file(tls.key),
    rejectUnauthorized: tls.reject_unauthorized,
    servername: tls.servername ?? (isIP(host) === 0 ? host : null),
  };
}

function clientPlan(client: ClientConfig, config: Config, baseDir: string): ClientPlan {
  const mqtt = config.mqtt;
  const cleanSession = client.clean_session ?? mqtt.clean_session;
  const expiry = client.session_expiry_s !== undefined ? client.session_expiry_s : mqtt.session_expiry_s;
  return {
    name: client.name,
    host: client.ip,
    port: client.port ?? mqtt.port,
    clientId: client.client_id,
    protocolVersion: client.protocol_version ?? mqtt.protocol_version,
    keepaliveS: client.keepalive ?? mqtt.keepalive,
    cleanSession,
    sessionExpiryS: expiry ?? (cleanSession ? 0 : DEFAULT_PERSISTENT_SESSION_EXPIRY_S),
    username: client.username !== undefined ? client.username : mqtt.username,
    password: client.password !== undefined ? client.password : mqtt.password,
    connectTimeoutMs: client.connect_timeout_ms ?? mqtt.connect_timeout_ms,
    reconnectMinMs: client.reconnect_min_ms ?? mqtt.reconnect_min_ms,
    reconnectMaxMs: client.reconnect_max_ms ?? mqtt.reconnect_max_ms,
    tls: tlsPlan(client.tls !== undefined ? client.tls : mqtt.tls, client.ip, baseDir),
  };
}

/** QoS to subscribe with: 2 keeps whatever the publisher used; a fixed policy needs no more than itself. */
export function subscriptionQos(policy: QosPolicy): QoS {
  return policy === 'preserve' ? 2 : policy;
}

export function resolvePlan(config: Config, baseDir: string): ForwarderPlan {
  const rules: RulePlan[] = config.rules
    .filter((rule) => rule.enabled)
    .map((rule) => ({
      name: rule.name,
      sourceClient: rule.source.client,
      targetClient: rule.target.client,
      sourceFilter: rule.source.topic,
      targetPattern: rule.target.topic,
      callback: rule.callback !== null && isCallbackName(rule.callback) ? rule.callback : null,
      qosPolicy: rule.qos_policy ?? config.qos_policy,
      retainHandling: rule.retain_handling ?? config.retain_handling,
    }));
  const used = new Set(rules.flatMap((rule) => [rule.sourceClient, rule.targetClient]));
  const subscriptions = new Map<string, PlannedSubscription[]>();
  for (const source of new Set(rules.map((rule) => rule.sourceClient))) {
    const requests = rules
      .filter((rule) => rule.sourceClient === source)
      .map((rule) => ({ filter: rule.sourceFilter, qos: subscriptionQos(rule.qosPolicy) }));
    subscriptions.set(source, planSubscriptions(requests));
  }
  return {
    logLevel: config.log_level,
    clients: config.clients
      .filter((client) => used.has(client.name))
      .map((client) => clientPlan(client, config, baseDir)),
    rules,
    subscriptions,
    replayRetainedOnReconnect: config.replay_retained_on_reconnect,
    maxInflight: config.max_inflight,
    maxQueued: config.max_queued,
    drainTimeoutMs: config.drain_timeout_ms,
    statsIntervalMs: config.stats_interval_ms,
    metrics: config.metrics_port === null ? null : { port: config.metrics_port, host: config.metrics_host },
  };
}
