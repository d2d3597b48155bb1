import type { IPublishPacket } from 'mqtt';
import { phaseClock } from '../stats/phase-clock.js';
import type { Qos } from '../model/index.js';
import { decodeMessage } from '../load/payload/index.js';

/** One PUBLISH as the application received it, with the flags read from the packet itself. */
export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  /** Delivered QoS: the QoS of the PUBLISH packet the broker sent, not what was subscribed. */
  qos: Qos;
  retain: boolean;
  dup: boolean;
  /** Packet identifier (QoS 1/2 only). */
  messageId: number | undefined;
  /** MQTT 5 properties of the packet, if any. */
  properties: IPublishPacket['properties'];
  /** `process.hrtime.bigint()` when the message was handed to the application. */
  arrivalNs: bigint;
  /** Index of the client connection that received it (0, 1, ... when a collector spans reconnects). */
  connection: number;
}

export type MessageListener = (message: ReceivedMessage) => void;

/** What `waitFor` waits for: a number of messages, or a condition over everything received so far. */
export type WaitCondition = number | ((messages: readonly ReceivedMessage[]) => boolean);

const LISTED_ON_TIMEOUT = 20;

/**
 * Records every PUBLISH a client hands to the application (mqtt.js `message` event: QoS 0/1 on
 * PUBLISH, QoS 2 on PUBREL with the stored PUBLISH, so a QoS 2 message counts once even if the
 * broker re-sent its PUBLISH). One collector may follow several connections of the same client id
 * (a persistent session across reconnects).
 */
export class MessageCollector {
  readonly messages: ReceivedMessage[] = [];
  private readonly listeners = new Set<MessageListener>();
  private connections = 0;

  /** Called by the client helper on every `message` event of a connection; returns its index. */
  nextConnection(): number {
    return this.connections++;
  }

  push(message: ReceivedMessage): void {
    this.messages.push(message);
    for (const listener of this.listeners) listener(message);
  }

  /** Calls `listener` for every message from now on; returns a function that stops it. */
  onMessage(listener: MessageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages on one topic (exact match). */
  on(topic: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /**
   * Resolves as soon as the condition holds (checked now and after every message), with all
   * messages so far. Rejects after `timeoutMs` with an error that lists what did arrive.
   */
  waitFor(condition: WaitCondition, timeoutMs: number, description?: string): Promise<readonly ReceivedMessage[]> {
    const holds =
      typeof condition === 'number' ? (all: readonly ReceivedMessage[]) => all.length >= condition : condition;
    const what = description ?? (typeof condition === 'number' ? `${condition} message(s)` : 'the expected messages');
    if (holds(this.messages)) return Promise.resolve(this.messages);
    return phaseClock.time('waiting', () => this.waitUntilHolds(holds, timeoutMs, what));
  }

  private waitUntilHolds(
    holds: (all: readonly ReceivedMessage[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<readonly ReceivedMessage[]> {
    return new Promise((resolve, reject) => {
      const stop = this.onMessage(() => {
        if (!holds(this.messages)) return;
        clearTimeout(timer);
        stop();
        resolve(this.messages);
      });
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`waited ${timeoutMs} ms for ${what}; ${this.describe()}`));
      }, timeoutMs);
    });
  }

  /** How many messages arrived so far; pass it as `fromIndex` to wait only for later ones. */
  get count(): number {
    return this.messages.length;
  }

  /** Waits for the first message at index `fromIndex` or later (default: any) that matches, and returns it. */
  async waitForMessage(
    predicate: (message: ReceivedMessage) => boolean,
    timeoutMs: number,
    description: string,
    fromIndex = 0,
  ): Promise<ReceivedMessage> {
    const find = (messages: readonly ReceivedMessage[]) => {
      for (let i = fromIndex; i < messages.length; i++)
        if (predicate(messages[i] as ReceivedMessage)) return messages[i];
      return undefined;
    };
    const all = await this.waitFor((messages) => find(messages) !== undefined, timeoutMs, description);
    return find(all) as ReceivedMessage;
  }

  /** A readable list of what arrived (bounded), for failure messages. */
  describe(messages: readonly ReceivedMessage[] = this.messages): string {
    if (messages.length === 0) return 'nothing arrived';
    const lines = messages.slice(0, LISTED_ON_TIMEOUT).map((m) => `  ${describeMessage(m)}`);
    const more = messages.length > LISTED_ON_TIMEOUT ? `\n  ... and ${messages.length - LISTED_ON_TIMEOUT} more` : '';
    return `${messages.length} arrived:\n${lines.join('\n')}${more}`;
  }
}

/** `topic qos=1 retain=0 dup=0 id=12 <publisher>#<seq>` (or the payload's size and first bytes). */
export function describeMessage(m: ReceivedMessage): string {
  return `${m.topic} qos=${m.qos} retain=${Number(m.retain)} dup=${Number(m.dup)}${m.messageId === undefined ? '' : ` id=${m.messageId}`} ${describePayload(m.payload)}`;
}

export function describePayload(payload: Buffer): string {
  if (payload.length === 0) return '(empty payload)';
  const decoded = decodeMessage(payload);
  if (decoded.kind === 'ok') return `${decoded.publisherId}#${decoded.seq}`;
  if (decoded.kind === 'corrupted')
    return `CORRUPTED (${decoded.reason})${decoded.claimed ? ` claims ${decoded.claimed.publisherId}#${decoded.claimed.seq}` : ''}`;
  const text = payload
    .subarray(0, 40)
    .toString('utf8')
    .replace(/[^\x20-\x7e]/g, '.');
  return `${payload.length} bytes "${text}${payload.length > 40 ? '...' : ''}"`;
}
