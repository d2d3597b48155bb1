// mqtt.js test clients that record the raw delivery flags (QoS, RETAIN) of
// every message, and waits with timeouts that say what was expected.

import { type IClientOptions, type MqttClient, connectAsync } from 'mqtt';

const WAIT_TIMEOUT_MS = 15_000;
const POLL_MS = 10;

const open = new Set<MqttClient>();

export async function connectClient(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 100,
    connectTimeout: 5000,
    ...options,
  });
  open.add(client);
  client.on('error', () => undefined); // reconnects are expected while brokers restart
  return client;
}

export async function closeAllClients(): Promise<void> {
  const clients = [...open];
  open.clear();
  await Promise.all(clients.map((c) => c.endAsync(true)));
}

export interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

export class Collector {
  readonly messages: Received[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, qos: packet.qos, retain: packet.retain });
    });
  }

  texts(): string[] {
    return this.messages.map((m) => m.payload.toString());
  }

  /** Resolves when `count` messages matching `filter` arrived. */
  async waitFor(
    count: number,
    what: string,
    filter: (m: Received) => boolean = () => true,
    timeoutMs = WAIT_TIMEOUT_MS,
  ): Promise<Received[]> {
    await waitUntil(
      () => this.messages.filter(filter).length >= count,
      `${count} × ${what} (have ${this.messages.filter(filter).length})`,
      timeoutMs,
    );
    return this.messages.filter(filter);
  }
}

export async function subscribeCollector(client: MqttClient, filter: string, qos: 0 | 1 | 2): Promise<Collector> {
  const collector = new Collector(client);
  await client.subscribeAsync(filter, { qos });
  return collector;
}

/** Polls `condition` until true; rejects naming `what` after timeoutMs. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A ~150-byte JSON payload carrying a sequence number. */
export function seqPayload(seq: number): string {
  return JSON.stringify({
    seq,
    device: 'dev-0001',
    temp: 23.45,
    hum: 56.7,
    status: 'ok',
    values: [1.1, 2.2, 3.3],
    pad: 'x'.repeat(40),
  });
}

export function seqOf(payload: Buffer | string): number {
  const text = payload.toString();
  const match = /"seq":(\d+)/.exec(text);
  if (!match) throw new Error(`no seq in ${text}`);
  return Number(match[1]);
}

/** Publishes seq 0..count-1 at about `ratePerS`, QoS `qos`, returning when all were confirmed. */
export async function publishSequence(
  client: MqttClient,
  topic: string,
  count: number,
  qos: 0 | 1 | 2,
  ratePerS: number,
  onSent?: (seq: number) => void,
): Promise<void> {
  const startedAt = Date.now();
  const pending: Array<Promise<unknown>> = [];
  for (let seq = 0; seq < count; seq++) {
    const dueAt = startedAt + (seq * 1000) / ratePerS;
    const wait = dueAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait)); // pacing, not a readiness wait
    pending.push(client.publishAsync(topic, seqPayload(seq), { qos }));
    onSent?.(seq);
  }
  await Promise.all(pending);
}
