/**
 * The shards' control channel: one extra MQTT connection per shard to the broker under test, on
 * topics beside the load topics (`<root>/<kind>/<shard>`; the root is not under the load prefix, so
 * load subscribers never see these messages). Every shard subscribes to `<root>/#` before it
 * publishes anything, and leaves a will on `<root>/gone/<shard>`: a shard that is killed or cut off
 * is announced to the others by the broker.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { closeLoadClient, connectLoadClient } from '../mqtt-connect.js';

export type ControlKind = 'ready' | 'ping' | 'pong' | 'done' | 'gone';

export interface ControlMessage {
  kind: ControlKind;
  /** Sending shard (1-based). */
  from: number;
  /** ready: distinct shards this one has seen ready (itself included); when it became ready (µs). */
  seen?: number;
  readyUs?: number;
  /** ping / pong: the pinging shard, the ping's number and send time on its clock; pong: the answer time on shard 1's clock. */
  to?: number;
  seq?: number;
  t0?: number;
  t1?: number;
  /** done: publishes this shard's publishers had confirmed when they were done. */
  confirmed?: number;
}

export interface ControlChannelOptions {
  url: string;
  connectOptions?: IClientOptions;
  /** Topic root of the run's control messages, e.g. `mtb/load/<runTag>.shards`. */
  root: string;
  clientId: string;
  shard: number;
  signal?: AbortSignal;
}

/** Control connections notice a vanished peer within 1.5 keepalives (then the broker sends its will). */
const KEEPALIVE_S = 10;
const CONTROL_QOS = 1;
/** How long close() lets the last control messages reach the broker before it disconnects. */
const FLUSH_TIMEOUT_MS = 2_000;
const FLUSH_POLL_MS = 10;

export class ControlChannel {
  private readonly handlers = new Set<(message: ControlMessage) => void>();
  private closed = false;

  private constructor(
    private readonly client: MqttClient,
    private readonly root: string,
    readonly shard: number,
    /** Problems of the connection itself (lost, refused publishes), for the shard's result. */
    readonly errors: string[],
  ) {
    client.on('message', (topic, payload) => {
      if (!topic.startsWith(`${root}/`)) return;
      let message: ControlMessage;
      try {
        message = JSON.parse(payload.toString('utf8')) as ControlMessage;
      } catch {
        return; // not ours: someone else's message under the root
      }
      if (typeof message.kind !== 'string' || typeof message.from !== 'number') return;
      for (const handler of this.handlers) handler(message);
    });
    client.on('close', () => {
      if (!this.closed) this.errors.push('the control connection to the broker closed during the run');
    });
  }

  static async open(options: ControlChannelOptions): Promise<ControlChannel> {
    const errors: string[] = [];
    const will: ControlMessage = { kind: 'gone', from: options.shard };
    const client = await connectLoadClient({
      url: options.url,
      clientId: options.clientId,
      protocolVersion: 4,
      options: {
        ...options.connectOptions,
        clean: true,
        keepalive: KEEPALIVE_S,
        will: {
          topic: `${options.root}/gone/${options.shard}`,
          payload: Buffer.from(JSON.stringify(will)),
          qos: CONTROL_QOS,
          retain: false,
        },
      },
      onError: (error) => errors.push(`control connection: ${error.message}`),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const channel = new ControlChannel(client, options.root, options.shard, errors);
    try {
      const granted = await client.subscribeAsync(`${options.root}/#`, { qos: CONTROL_QOS });
      const code = granted[0]?.qos ?? 0x80;
      if (code >= 0x80)
        throw new Error(`the broker refused the subscription to ${options.root}/# (SUBACK 0x${code.toString(16)})`);
    } catch (error) {
      await channel.close();
      throw new Error(`shard control channel: ${(error as Error).message}`, { cause: error });
    }
    return channel;
  }

  /** Handles every control message of the run (also this shard's own); returns the unsubscribe function. */
  onMessage(handler: (message: ControlMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  send(message: Omit<ControlMessage, 'from'>): void {
    if (this.closed || !this.client.connected) return;
    const body: ControlMessage = { ...message, from: this.shard };
    this.client.publish(
      `${this.root}/${message.kind}/${this.shard}`,
      JSON.stringify(body),
      { qos: CONTROL_QOS },
      (error) => {
        if (error && !this.closed) this.errors.push(`control message ${message.kind} not sent: ${error.message}`);
      },
    );
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Lets the last messages out, then a clean DISCONNECT: the broker discards the will. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    while (this.client.connected && Object.keys(this.client.outgoing).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, FLUSH_POLL_MS));
    await closeLoadClient(this.client);
  }
}
