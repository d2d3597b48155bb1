import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { ConnectSpec } from './client/types.js';
import { nowUs } from './clock.js';
import { redactUrl } from '../security/redact.js';

export type { ConnectSpec };

/** mqtt.js default when the caller gives none: a load client does not reconnect unless asked to. */
const DEFAULT_RECONNECT_PERIOD_MS = 0;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const NO_LOG = (): void => undefined;

/**
 * Options every load client gets, whatever the caller passes:
 * - queueQoSZero false: a QoS 0 publish while offline fails instead of being
 *   queued and sent later, which would hide QoS 0 loss;
 * - reschedulePings false: with it on, every publish reschedules the keepalive
 *   timer, a measurable cost at tens of thousands of msg/s.
 */
export function loadClientOptions(spec: ConnectSpec): IClientOptions {
  return {
    // mqtt.js calls its debug logger several times per packet; a no-op saves ~5 % CPU
    // at full rate. DEBUG=mqttjs* still gets the real logger.
    ...(/mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: NO_LOG }),
    reconnectPeriod: DEFAULT_RECONNECT_PERIOD_MS,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    ...spec.options,
    clientId: spec.clientId,
    protocolVersion: spec.protocolVersion,
    queueQoSZero: false,
    reschedulePings: false,
  };
}

/**
 * Connects one client and waits for CONNACK. TCP_NODELAY is set on every
 * (re)connection: mqtt.js never sets it, and Nagle's algorithm holds small
 * packets (PUBACK, small PUBLISH) back by up to 40 ms on Linux.
 */
export async function connectLoadClient(spec: ConnectSpec): Promise<MqttClient> {
  spec.signal?.throwIfAborted();
  const client = connect(spec.url, loadClientOptions(spec));
  client.on('error', spec.onError);
  client.on('connect', () => setNoDelay(client));
  try {
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        client.off('connect', onConnect);
        client.off('error', onFailure);
        client.off('close', onClose);
        spec.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanup();
        reject(
          spec.signal?.reason instanceof Error ? spec.signal.reason : new Error(`${spec.clientId}: connect aborted`),
        );
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onFailure = (error: Error): void => {
        cleanup();
        reject(
          new Error(`${spec.clientId}: connecting to ${redactUrl(spec.url)} failed: ${error.message}`, {
            cause: error,
          }),
        );
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`${spec.clientId}: connection to ${redactUrl(spec.url)} closed before CONNACK`));
      };
      client.once('connect', onConnect);
      client.once('error', onFailure);
      client.once('close', onClose);
    });
  } catch (error) {
    client.end(true);
    throw error;
  }
  return client;
}

const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Closes a client: DISCONNECT when connected and nothing is in flight (a
 * clean close, no will message), otherwise a forced close; never hangs on a
 * dead broker.
 */
export async function closeLoadClient(client: MqttClient): Promise<void> {
  const force = !client.connected || Object.keys(client.outgoing).length > 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.stream?.destroy();
      resolve();
    }, CLOSE_TIMEOUT_MS);
    client.end(force, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function setNoDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined;
  stream?.setNoDelay?.(true);
}

/** Hides passwords in URLs that end up in error messages and results (one rule for the whole harness). */
export { redactUrl };

/**
 * Calls `onRead` with the time (µs) each chunk is read from the client's
 * socket, before mqtt.js parses it, on every (re)connection. Receipts are
 * stamped with the read time of their chunk: a chunk holding 20 messages is
 * one read, and the time the harness then spends decoding and counting the
 * first 19 is the harness's, not the broker's. The stamp is never earlier
 * than the read that delivered the message.
 */
export function trackReadTime(client: MqttClient, onRead: (atUs: number) => void): void {
  let attached: unknown;
  const attach = (): void => {
    const stream = client.stream as { prependListener?: (event: 'data', listener: () => void) => unknown } | undefined;
    if (!stream || stream === attached || typeof stream.prependListener !== 'function') return;
    attached = stream;
    stream.prependListener('data', () => onRead(nowUs()));
  };
  attach();
  client.on('connect', attach);
}
