import { randomInt } from 'node:crypto';
import mqtt, {
  type IClientOptions,
  type IClientPublishOptions,
  type IClientSubscribeOptions,
  type IConnackPacket,
  type ISubscriptionGrant,
  type ISubscriptionMap,
  type MqttClient,
} from 'mqtt';
import { onTestFinished } from 'vitest';
import type { BrokerEndpoint, ProtocolVersion } from '../model/index.js';
import { shortRunId } from '../runtime/run-context.js';
import { describeConnectFailure } from '../security/client-options.js';
import { MessageCollector } from './collector.js';

/** `MQTT 3.1.1` or `MQTT 5`, as test names and failure messages say it. */
export function protocolName(version: ProtocolVersion): string {
  return version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
}

/** MQTT 3.1.1 servers must accept ids of 1-23 characters and may refuse longer ones [MQTT-3.1.3-5]. */
export const MAX_PORTABLE_CLIENT_ID = 23;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;

/** Three base-36 characters that tell this worker process apart from the other workers of the run. */
const PROCESS_TAG = randomInt(36 ** 3)
  .toString(36)
  .padStart(3, '0');
let clientCounter = 0;

/**
 * `mtb-<shortRunId>-<role>-<n>`, unique per run (n = this process's tag + a counter), at most 23
 * characters so that every MQTT 3.1.1 broker accepts it. Roles are short words: `sub`, `pub`, `late`.
 */
export function testClientId(role: string): string {
  clientCounter += 1;
  const id = `mtb-${shortRunId()}-${role}-${PROCESS_TAG}${clientCounter.toString(36)}`;
  if (!/^[A-Za-z0-9]+$/.test(role) || id.length > MAX_PORTABLE_CLIENT_ID) {
    throw new RangeError(
      `client id "${id}" for role "${role}" is not portable: use a role of a few letters or digits (ids must stay within ${MAX_PORTABLE_CLIENT_ID} characters, [MQTT-3.1.3-5]).`,
    );
  }
  return id;
}

export interface TestClientOptions {
  /** The broker (a StartedBroker is one): its URL, and the credentials and CA it requires. */
  broker: BrokerEndpoint;
  /** Short role that goes into the client id, e.g. `sub`, `pub`, `late` (letters and digits). */
  role: string;
  /** MQTT protocol level: 4 = 3.1.1, 5 = MQTT 5. Default 4. */
  protocolVersion?: ProtocolVersion;
  /** Reuse a client id, to resume a session. Default: a new unique id (`testClientId(role)`). */
  clientId?: string;
  /** MQTT 3.1.1 Clean Session / MQTT 5 Clean Start. Default true. */
  clean?: boolean;
  /** MQTT 5 Session Expiry Interval, seconds; not sent when undefined (the broker then uses 0). Ignored for 3.1.1. */
  sessionExpirySec?: number;
  /** Record messages into this collector (one collector can span reconnects). Default: a new one. */
  collector?: MessageCollector;
  /** mqtt.js reconnectPeriod, ms. Default 0: never reconnect on its own. */
  reconnectPeriodMs?: number;
  /** Budget for CONNACK, ms. Default 10_000. */
  connectTimeoutMs?: number;
  /** Close the client when the current test finishes, passed or failed (vitest onTestFinished). Default true. */
  closeOnTestFinished?: boolean;
  /** Further mqtt.js options; they override the broker's client options (e.g. a wrong password), and the options above take precedence. */
  options?: IClientOptions;
}

/** A connected mqtt.js client with its CONNACK, a message collector and a cleanup that never hangs. */
export interface TestClient {
  readonly client: MqttClient;
  readonly clientId: string;
  readonly protocolVersion: ProtocolVersion;
  readonly url: string;
  readonly connack: IConnackPacket;
  /** Session Present flag of the CONNACK. */
  readonly sessionPresent: boolean;
  readonly messages: MessageCollector;
  /** PUBLISH packets received on the wire by this connection (QoS 2 re-sends included). */
  wirePublishes(): number;
  /**
   * Resolves once every QoS 2 PUBLISH received so far has been released to the application
   * (mqtt.js emits a QoS 2 message on PUBREL, a round trip after the PUBLISH arrived). A wait
   * that ends on a later QoS 0/1 message calls this before reading what arrived.
   */
  released(timeoutMs: number): Promise<void>;
  /**
   * SUBSCRIBE and wait for SUBACK; throws when the broker refused a filter. A map of filter →
   * options sends one SUBSCRIBE packet with the filters in the map's order.
   */
  subscribe(filter: string | string[], options: IClientSubscribeOptions): Promise<ISubscriptionGrant[]>;
  subscribe(filters: ISubscriptionMap): Promise<ISubscriptionGrant[]>;
  /** Publish and wait until confirmed: QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP. */
  publish(topic: string, payload: Buffer | string, options: IClientPublishOptions): Promise<void>;
  /** DISCONNECT (forced when it does not finish within 2 s or the client is not connected). Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects a test client and waits for CONNACK. Every connection gets TCP_NODELAY (mqtt.js never
 * sets it, and Nagle's algorithm holds small packets back by up to 40 ms), `queueQoSZero: false`
 * (a QoS 0 publish while offline fails instead of being sent later, which would hide loss), and
 * no automatic reconnect unless asked. The collector is attached before the connection opens, so
 * messages a resumed session delivers right after CONNACK are recorded too.
 */
export async function connectTestClient(options: TestClientOptions): Promise<TestClient> {
  const clientId = options.clientId ?? testClientId(options.role);
  const protocolVersion = options.protocolVersion ?? 4;
  const collector = options.collector ?? new MessageCollector();
  const connection = collector.nextConnection();
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const properties =
    protocolVersion === 5 && options.sessionExpirySec !== undefined
      ? { ...options.options?.properties, sessionExpiryInterval: options.sessionExpirySec }
      : options.options?.properties;
  const { broker } = options;
  const mqttOptions: IClientOptions = {
    ...broker.clientOptions,
    ...options.options,
    clientId,
    protocolVersion,
    clean: options.clean ?? true,
    reconnectPeriod: options.reconnectPeriodMs ?? 0,
    connectTimeout: connectTimeoutMs,
    queueQoSZero: false,
    ...(properties ? { properties } : {}),
  };
  const client = mqtt.connect(broker.url, mqttOptions);
  let wirePublishes = 0;
  /** Packet ids of QoS 2 PUBLISHes received and not yet released (PUBREL) to the application. */
  const awaitingRelease = new Set<number>();
  const releaseWaiters = new Set<() => void>();
  let lastError: Error | undefined;
  // Without an 'error' listener an error event would crash the test worker.
  client.on('error', (error) => {
    lastError = error;
  });
  client.on('connect', () => {
    const socket = client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined;
    socket?.setNoDelay?.(true);
  });
  client.on('packetreceive', (packet) => {
    if (packet.cmd !== 'publish') return;
    wirePublishes += 1;
    if (packet.qos === 2 && packet.messageId !== undefined) awaitingRelease.add(packet.messageId);
  });
  client.on('message', (topic, payload, packet) => {
    if (
      packet.qos === 2 &&
      packet.messageId !== undefined &&
      awaitingRelease.delete(packet.messageId) &&
      awaitingRelease.size === 0
    ) {
      for (const wake of releaseWaiters) wake();
    }
    collector.push({
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      messageId: packet.messageId,
      properties: packet.properties,
      arrivalNs: process.hrtime.bigint(),
      connection,
    });
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.stream?.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
      client.end(!client.connected, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closing;
  };
  // Registered before CONNACK, so a connection that fails half-way is closed too.
  if (options.closeOnTestFinished ?? true) onTestFinished(close);

  let connack: IConnackPacket;
  try {
    connack = await new Promise<IConnackPacket>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no CONNACK within ${connectTimeoutMs} ms`)),
        connectTimeoutMs + 1_000,
      );
      const onConnect = (packet: IConnackPacket) => {
        cleanup();
        resolve(packet);
      };
      const onClose = () => fail(lastError ?? new Error('the connection closed before CONNACK'));
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('close', onClose);
        client.off('error', fail);
      };
      client.once('connect', onConnect);
      client.once('close', onClose);
      client.once('error', fail);
    });
  } catch (error) {
    await close();
    // Names the broker and why (refused credentials, untrusted certificate, ...), never the password.
    throw new Error(
      `${clientId} (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}): ${describeConnectFailure(broker, error, mqttOptions)}`,
      { cause: error },
    );
  }

  return {
    client,
    clientId,
    protocolVersion,
    url: broker.url,
    connack,
    sessionPresent: connack.sessionPresent,
    messages: collector,
    wirePublishes: () => wirePublishes,
    released(timeoutMs) {
      if (awaitingRelease.size === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer);
          releaseWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(() => {
          releaseWaiters.delete(wake);
          reject(
            new Error(
              `${clientId}: ${awaitingRelease.size} QoS 2 message(s) (packet ids ${[...awaitingRelease].slice(0, 5).join(', ')}) received but not released by a PUBREL within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        releaseWaiters.add(wake);
      });
    },
    async subscribe(filter: string | string[] | ISubscriptionMap, subscribeOptions?: IClientSubscribeOptions) {
      const granted =
        typeof filter === 'string' || Array.isArray(filter)
          ? await client.subscribeAsync(filter, subscribeOptions as IClientSubscribeOptions)
          : await client.subscribeAsync(filter);
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length > 0)
        throw new Error(
          `${clientId}: the broker refused the subscription to ${refused.map((g) => `${g.topic} (code ${g.qos})`).join(', ')}`,
        );
      return granted;
    },
    async publish(topic, payload, publishOptions) {
      await client.publishAsync(topic, payload, publishOptions);
    },
    close,
  };
}

/**
 * Removes retained messages (an empty retained payload, [MQTT-3.3.1-10]) with a short-lived
 * client of its own, so it also works after the test's clients are gone.
 */
export async function clearRetained(
  broker: BrokerEndpoint,
  topics: readonly string[],
  protocolVersion: ProtocolVersion = 4,
): Promise<void> {
  if (topics.length === 0) return;
  const cleaner = await connectTestClient({ broker, role: 'clean', protocolVersion, closeOnTestFinished: false });
  try {
    for (const topic of topics) await cleaner.publish(topic, Buffer.alloc(0), { qos: 1, retain: true });
  } finally {
    await cleaner.close();
  }
}

/**
 * Removes the retained messages a test created when the test finishes, passed or failed, so the
 * next test (or a rerun on an external broker) never starts with stale retained state. Topics are
 * read when the test finishes, so a test can push to the array after registering.
 */
export function clearRetainedOnFinish(broker: BrokerEndpoint, topics: readonly string[]): void {
  onTestFinished(() => clearRetained(broker, [...new Set(topics)]));
}

/**
 * Ends a persistent session on the broker: connect with the same client id and Clean Session=1
 * (MQTT 5: Clean Start=1, no expiry), which discards the old session [MQTT-3.1.2-6], then disconnect.
 */
export async function discardSession(
  broker: BrokerEndpoint,
  clientId: string,
  protocolVersion: ProtocolVersion = 4,
): Promise<void> {
  const client = await connectTestClient({
    broker,
    role: 'x',
    clientId,
    protocolVersion,
    clean: true,
    closeOnTestFinished: false,
  });
  await client.close();
}

/** Discards the session of `clientId` when the test finishes (passed or failed), after its clients closed. */
export function discardSessionOnFinish(
  broker: BrokerEndpoint,
  clientId: string,
  protocolVersion: ProtocolVersion = 4,
): void {
  onTestFinished(() => discardSession(broker, clientId, protocolVersion));
}
