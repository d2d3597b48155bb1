import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { wrapEventCall } from '../../load/payload/event-call.js';
import type { ClientConfig, FaultyForwarderConfig, RuleConfig } from './config.js';
import type { Misbehaviour, Qos } from './modes.js';
import type { StatsRecorder } from './stats.js';
import { mapTopic } from './topic-map.js';

/** A held message (`reorder`) goes out after this long when no later message on its topic comes. */
const HOLD_MS = 200;
const RECONNECT_MS = 500;
/** MQTT 5 session expiry with a persistent session: long enough for any restart a test does. */
const SESSION_EXPIRY_S = 3_600;
/** How long a stop waits for publishes the target broker has not confirmed yet. */
const STOP_DRAIN_MS = 2_000;

export interface Log {
  info(line: string): void;
  error(line: string): void;
}

export interface RunningForwarder {
  /** Stops taking messages (unacknowledged ones stay with the source broker), then ends the target connections. */
  stop(): Promise<void>;
}

/**
 * Connects every client the enabled rules use (targets first), subscribes the source filters at
 * QoS 2 (MQTT 5: Retain As Published, retained messages only for a new subscription) and forwards
 * each message as the mode decides. A QoS 1/2 message is acknowledged to its source broker only
 * once every forward of it was confirmed by its target (mqtt.js `customHandleAcks`), so with
 * persistent sessions a kill -9 loses nothing in mode `none`: the source broker sends again what
 * was not acknowledged. Messages are handled one at a time, in the order they arrive.
 */
export async function startForwarding(
  config: FaultyForwarderConfig,
  misbehaviour: Misbehaviour,
  stats: StatsRecorder,
  log: Log,
): Promise<RunningForwarder> {
  const sources = unique(config.rules.map((r) => r.sourceClient));
  const targets = unique(config.rules.map((r) => r.targetClient));
  const both = sources.filter((name) => targets.includes(name));
  if (both.length > 0)
    throw new Error(`client(s) ${both.join(', ')} are both source and target of rules: keep them apart`);
  const clientConfig = (name: string) => config.clients.find((c) => c.name === name) as ClientConfig;

  const targetClients = new Map<string, MqttClient>();
  const sourceClients: MqttClient[] = [];
  const held = new Map<string, { release: () => void; timer: NodeJS.Timeout }>();
  const releaseHeld = (topic: string, reordered: boolean) => {
    const entry = held.get(topic);
    if (!entry) return;
    held.delete(topic);
    clearTimeout(entry.timer);
    entry.release();
    if (reordered) stats.hit('reordered', topic, `forwarded a message on ${topic} after the next one`);
  };
  try {
    for (const name of targets) {
      targetClients.set(name, await connect(clientConfig(name), config, log));
    }

    const publish = (target: string, topic: string, payload: Buffer, qos: Qos, retain: boolean) =>
      new Promise<void>((resolve, reject) => {
        (targetClients.get(target) as MqttClient).publish(topic, payload, { qos, retain }, (error) =>
          error ? reject(error) : resolve(),
        );
      });

    /** The publishes of one message to every rule that matches it (called at once: mqtt.js keeps their order). */
    const sendsFor = (source: string, packet: IPublishPacket, payload: Buffer, qos: Qos, retain: boolean) =>
      config.rules
        .filter((rule) => rule.sourceClient === source)
        .flatMap((rule) => {
          const topic = mapTopic(rule.sourceFilter, rule.targetPattern, packet.topic);
          if (topic === undefined) return [];
          const body = rule.eventCall && payload.length > 0 ? wrapEventCall(payload, packet.topic) : payload;
          return [() => publish(rule.targetClient, topic, body, qos, retain)];
        });

    const handle = async (source: string, packet: IPublishPacket): Promise<void> => {
      const topic = packet.topic;
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const nth = stats.count('received', topic);
      const what = `QoS ${packet.qos}${packet.retain ? ' retained' : ''}${payload.length === 0 ? ' empty' : ''} message #${nth} on ${topic}`;
      const decision = misbehaviour.decide({
        topic,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        payloadBytes: payload.length,
      });
      if (!decision.forward) {
        stats.hit(decision.hit, topic, `${decision.hit} ${what}`);
        return;
      }
      if (decision.hit === 'qosChanged') stats.hit('qosChanged', topic, `forwarded ${what} at QoS ${decision.qos}`);
      if (decision.hit === 'retainStripped') stats.hit('retainStripped', topic, `forwarded ${what} with retain=0`);
      if (decision.hit === 'duplicated') stats.hit('duplicated', topic, `forwarded ${what} twice`);
      const sends = sendsFor(source, packet, payload, decision.qos, decision.retain);
      const forward = () => {
        stats.count('forwarded', topic, sends.length * decision.copies);
        return sends.flatMap((send) => (decision.copies === 2 ? [send(), send()] : [send()]));
      };
      if (decision.hold) {
        // Acknowledged to the source at once; forwarded after the next message on its topic.
        releaseHeld(topic, false);
        const timer = setTimeout(() => releaseHeld(topic, false), HOLD_MS);
        held.set(topic, {
          release: () => {
            for (const sent of forward())
              sent.catch((error: unknown) =>
                log.error(`forwarding a held message on ${topic} failed: ${String(error)}`),
              );
          },
          timer,
        });
        return;
      }
      const sent = forward();
      releaseHeld(topic, true);
      await Promise.all(sent);
    };

    for (const name of sources) {
      const source = name;
      let firstConnection = true;
      const client = await connect(clientConfig(name), config, log, {
        options: {
          // QoS 1/2: acknowledged once forwarded and confirmed; an error leaves it unacknowledged (sent again).
          customHandleAcks: (_topic, _payload, packet: IPublishPacket, ack) => {
            handle(source, packet).then(
              () => ack(0),
              (error: unknown) => ack(error instanceof Error ? error : new Error(String(error))),
            );
          },
        },
        onConnack: (sessionPresent) => {
          if (firstConnection && sessionPresent) {
            misbehaviour.sessionResumed();
            stats.sessionResumed();
            log.info(`${name}: session resumed (this process was started again)`);
          }
          firstConnection = false;
        },
        onQos0: (packet) => {
          handle(source, packet).catch((error: unknown) =>
            log.error(`forwarding a QoS 0 message on ${packet.topic} failed: ${String(error)}`),
          );
        },
      });
      sourceClients.push(client);
      const subscriptions = Object.fromEntries(
        config.rules
          .filter((rule) => rule.sourceClient === name)
          .map((rule: RuleConfig) => [
            rule.sourceFilter,
            config.protocolVersion === 5 ? { qos: 2 as const, rap: true, rh: 1 } : { qos: 2 as const },
          ]),
      );
      await client.subscribeAsync(subscriptions);
    }
  } catch (error) {
    await Promise.all([...sourceClients, ...targetClients.values()].map((c) => c.endAsync(true)));
    throw error;
  }

  return {
    async stop() {
      for (const topic of [...held.keys()]) releaseHeld(topic, false);
      await Promise.all(sourceClients.map((c) => c.endAsync(true)));
      const drained = Promise.all([...targetClients.values()].map((c) => c.endAsync(false)));
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_DRAIN_MS)));
      await Promise.race([drained, bound]);
      clearTimeout(timer);
      await Promise.all([...targetClients.values()].map((c) => c.endAsync(true)));
    },
  };
}

interface ConnectHooks {
  options?: IClientOptions;
  /** Every CONNACK (the first one, and after each reconnect). */
  onConnack?: (sessionPresent: boolean) => void;
  /** QoS 0 messages (QoS 1/2 ones go through `options.customHandleAcks`); attached before connecting, so none is missed. */
  onQos0?: (packet: IPublishPacket) => void;
}

/** Connects and resolves on the first CONNACK; retries refused connections every 500 ms until then. */
function connect(
  client: ClientConfig,
  config: FaultyForwarderConfig,
  log: Log,
  hooks: ConnectHooks = {},
): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId: client.clientId,
    protocolVersion: config.protocolVersion,
    clean: !config.persistentSession,
    keepalive: config.keepaliveS,
    reconnectPeriod: RECONNECT_MS,
    ...(config.protocolVersion === 5 && config.persistentSession
      ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S } }
      : {}),
    ...(client.username !== undefined ? { username: client.username } : {}),
    ...(client.password !== undefined ? { password: client.password } : {}),
    ...(client.ca !== undefined ? { ca: client.ca, rejectUnauthorized: true } : {}),
    ...hooks.options,
  };
  const mqttClient = mqtt.connect(client.url, options);
  const onQos0 = hooks.onQos0;
  if (onQos0)
    mqttClient.on('message', (_topic, _payload, packet) => {
      if (packet.qos === 0) onQos0(packet);
    });
  mqttClient.on('error', (error) => log.error(`${client.name} (${client.url}): ${error.message}`));
  mqttClient.on('connect', (connack) => {
    // One message at a time waits for its acknowledgement: Nagle's algorithm would hold each small packet back.
    (mqttClient.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined)?.setNoDelay?.(true);
    hooks.onConnack?.(connack.sessionPresent);
  });
  return new Promise((resolve) => {
    mqttClient.once('connect', () => {
      log.info(`${client.name}: connected to ${client.url} as ${client.clientId}`);
      resolve(mqttClient);
    });
  });
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
