// Wires clients, sources and targets together from a plan; reports
// readiness, connection events and counters; drains on shutdown.

import type { Server } from 'node:http';
import type { MqttClient } from 'mqtt';
import { createMqttClient } from './clients/connect.js';
import type { ClientPlan, ForwarderPlan } from './config/resolve.js';
import { SourceSession } from './forward/source.js';
import { TargetSession } from './forward/target.js';
import { type LimitedLog, type Logger, rateLimited } from './log.js';
import { startMetricsServer } from './metrics-server.js';
import { Stats, type StatsSnapshot, toPrometheus } from './stats.js';
import { Router } from './topics/router.js';

/** The harness waits for exactly this message. */
export const READY_MESSAGE = 'forwarder ready';
const LOG_LIMIT_INTERVAL_MS = 5000;
const DRAIN_POLL_MS = 10;
const DISCONNECT_TIMEOUT_MS = 1000;

interface Connection {
  plan: ClientPlan;
  client: MqttClient;
  connectedOnce: boolean;
}

export interface RunningForwarder {
  snapshot(): StatsSnapshot;
  logStats(): void;
  /** Stops intake, drains (bounded by drain_timeout_ms), disconnects. */
  shutdown(reason: string): Promise<void>;
}

/** The startup line's view of the plan (passwords masked). */
function describePlan(plan: ForwarderPlan) {
  return {
    clients: plan.clients.map((c) => ({
      name: c.name,
      host: c.host,
      port: c.port,
      client_id: c.clientId,
      protocol_version: c.protocolVersion,
      clean_session: c.cleanSession,
      tls: c.tls !== null,
      username: c.username,
      password: c.password === null ? null : '(set)',
    })),
    rules: plan.rules.map((r) => ({
      name: r.name,
      from: `${r.sourceClient}:${r.sourceFilter}`,
      to: `${r.targetClient}:${r.targetPattern}`,
      callback: r.callback,
      qos_policy: r.qosPolicy,
      retain_handling: r.retainHandling,
    })),
    subscriptions: Object.fromEntries(
      [...plan.subscriptions].map(([client, subs]) => [client, subs.map((s) => `${s.filter} (qos ${s.qos})`)]),
    ),
    max_inflight: plan.maxInflight,
    max_queued: plan.maxQueued,
  };
}

export async function startForwarder(plan: ForwarderPlan, log: Logger): Promise<RunningForwarder> {
  const startedAt = Date.now();
  const stats = new Stats();
  const logLimited = rateLimited(log, LOG_LIMIT_INTERVAL_MS);
  const connections = new Map<string, Connection>();
  const sources: SourceSession[] = [];
  const targets = new Map<string, TargetSession>();
  let ready = false;

  const checkReady = () => {
    if (ready) return;
    const allConnected = [...connections.values()].every((c) => c.connectedOnce && c.client.connected);
    if (!allConnected || !sources.every((s) => s.subscribed) || ![...targets.values()].every((t) => t.available))
      return;
    ready = true;
    log.info(READY_MESSAGE, {
      clients: connections.size,
      rules: plan.rules.length,
      startup_ms: Date.now() - startedAt,
    });
  };

  for (const clientPlan of plan.clients) {
    const client = createMqttClient(clientPlan, { receiveMaximum: plan.maxInflight });
    const connection: Connection = { plan: clientPlan, client, connectedOnce: false };
    connections.set(clientPlan.name, connection);
    stats.trackClient(clientPlan.name);
    watchConnection(connection, log, stats, logLimited, checkReady);
  }

  for (const name of new Set(plan.rules.map((r) => r.targetClient))) {
    const { client, plan: clientPlan } = connections.get(name) as Connection;
    targets.set(
      name,
      new TargetSession({
        plan: clientPlan,
        client,
        maxInflight: plan.maxInflight,
        maxQueued: plan.maxQueued,
        stats,
        log,
        logLimited,
        onAvailable: checkReady,
      }),
    );
  }
  for (const [name, subscriptions] of plan.subscriptions) {
    const { client, plan: clientPlan } = connections.get(name) as Connection;
    const rules = plan.rules.filter((r) => r.sourceClient === name);
    sources.push(
      new SourceSession({
        plan: clientPlan,
        client,
        router: new Router(rules),
        subscriptions,
        maxInflight: plan.maxInflight,
        replayRetainedOnReconnect: plan.replayRetainedOnReconnect,
        targets,
        stats,
        log,
        logLimited,
        onSubscribed: checkReady,
      }),
    );
  }

  const gauges = () => ({
    inflight_source: sources.reduce((n, s) => n + s.inflight, 0),
    inflight_target: [...targets.values()].reduce((n, t) => n + t.queue.inflight, 0),
    queued: [...targets.values()].reduce((n, t) => n + t.queue.queued, 0),
  });
  const snapshot = () => stats.snapshot(gauges());
  const logStats = () => log.info('stats', { ...snapshot() });

  let metricsServer: Server | null = null;
  if (plan.metrics !== null) {
    metricsServer = await startMetricsServer(plan.metrics.host, plan.metrics.port, () => toPrometheus(snapshot()));
    log.info('metrics endpoint listening', { url: `http://${plan.metrics.host}:${plan.metrics.port}/metrics` });
  }
  const statsTimer = plan.statsIntervalMs > 0 ? setInterval(logStats, plan.statsIntervalMs) : null;
  statsTimer?.unref();

  log.info('forwarder starting', describePlan(plan));
  for (const { client } of connections.values()) client.connect();

  const drained = () => sources.every((s) => s.inflight === 0) && [...targets.values()].every((t) => t.queue.idle);

  return {
    snapshot,
    logStats,
    async shutdown(reason) {
      log.info('shutting down', { reason, ...gauges() });
      for (const source of sources) source.stopIntake();
      for (const target of targets.values()) target.beginShutdown();
      const deadline = Date.now() + plan.drainTimeoutMs;
      while (!drained() && Date.now() < deadline) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      const left = gauges();
      if (!drained()) {
        log.warn(
          'drain timeout: stopping with messages in flight (QoS 1/2 ones stay unacknowledged at the source and are redelivered to a persistent session)',
          {
            drain_timeout_ms: plan.drainTimeoutMs,
            ...left,
          },
        );
        for (const target of targets.values()) {
          for (const job of target.queue.takeWaiting()) if (job.delivery === null) stats.drop('shutdown');
        }
      }
      if (statsTimer) clearInterval(statsTimer);
      await Promise.all([...connections.values()].map(({ client }) => disconnect(client)));
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      log.info('stopped', { ...snapshot() });
    },
  };
}

function watchConnection(
  connection: Connection,
  log: Logger,
  stats: Stats,
  logLimited: LimitedLog,
  onConnected: () => void,
): void {
  const { client, plan } = connection;
  let lastError: Error | null = null;
  let lostAt: number | null = null;
  client.on('connect', (connack) => {
    const fields = { client: plan.name, host: plan.host, port: plan.port, session_present: connack.sessionPresent };
    if (!connection.connectedOnce) {
      connection.connectedOnce = true;
      log.info('connected', fields);
    } else {
      stats.reconnected(plan.name);
      log.info('forwarder reconnected', { ...fields, downtime_ms: lostAt === null ? null : Date.now() - lostAt });
    }
    lastError = null;
    lostAt = null;
    onConnected();
  });
  client.on('close', () => {
    if (lostAt !== null) return; // a failed reconnect attempt
    lostAt = Date.now();
    if (connection.connectedOnce && !client.disconnecting) {
      log.warn('connection lost', {
        client: plan.name,
        host: plan.host,
        port: plan.port,
        error: lastError?.message ?? null,
      });
    }
  });
  client.on('error', (error) => {
    lastError = error;
    logLimited('warn', `error:${plan.name}`, 'connection error', {
      client: plan.name,
      host: plan.host,
      port: plan.port,
      error,
    });
  });
  client.on('disconnect', (packet) => {
    log.warn('broker sent DISCONNECT', { client: plan.name, reason_code: packet.reasonCode ?? null });
  });
}

function disconnect(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, DISCONNECT_TIMEOUT_MS);
    client.end(false, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
