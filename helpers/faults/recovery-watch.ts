import mqtt, { type MqttClient } from 'mqtt';
import type { BrokerEndpoint } from '../model/index.js';
import { nowUs } from '../load/clock.js';
import { decodeMessage } from '../load/payload/index.js';
import { withTimeout } from '../runtime/readiness-error.js';
import { describeConnectFailure } from '../security/client-options.js';

/** mqtt.js reconnect period of the watcher: it must follow an upstream restart as closely as the load clients do. */
const RECONNECT_PERIOD_MS = 100;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;

/** What the watcher saw on one topic after the component was back. */
export interface TopicRecovery {
  /**
   * Recovery time: from the moment the component was back (the fault control returned) to the
   * first receipt of a message that was *published* after that moment; null if none arrived.
   */
  recoveryMs: number | null;
  /** From back to the first receipt of any message (queued or in-flight ones included); null if none. */
  firstReceiptAfterBackMs: number | null;
  /** The receipt that ended the recovery, on the monotonic clock (µs); null if none. */
  recoveredAtUs: number | null;
}

interface TopicState {
  firstReceiptAtUs: number | null;
  recoveredAtUs: number | null;
}

/**
 * A subscriber beside the load engine's, on the upstream broker, that times recovery. It decodes
 * the send time from each payload (helpers/load/payload) and notes, per topic, the first message
 * received after the component was back and the first one published after it. It holds a
 * persistent session (clean=false, fixed client id) and reconnects every 100 ms like the load
 * clients, so it follows an upstream restart the same way the measured subscriber does.
 */
export class RecoveryWatch {
  private backAtUs: number | undefined;
  private readonly topics = new Map<string, TopicState>();
  private onAllRecovered: (() => void) | undefined;
  /** Resolves once a message published after the component was back arrived on every topic. */
  readonly allRecovered = new Promise<void>((resolve) => (this.onAllRecovered = resolve));

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /** Connects and subscribes (QoS 1) to every topic; fails within the connect budget, naming the broker and why. */
  static async open(broker: BrokerEndpoint, clientId: string, topics: readonly string[]): Promise<RecoveryWatch> {
    const client = mqtt.connect(broker.url, {
      ...broker.clientOptions,
      clientId,
      clean: false,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
    });
    let lastError: unknown;
    client.on('error', (error) => (lastError = error)); // reconnects report errors too; the load engine's result is what is judged
    const watch = new RecoveryWatch(client);
    for (const topic of topics) watch.topics.set(topic, { firstReceiptAtUs: null, recoveredAtUs: null });
    try {
      await withTimeout(
        new Promise<void>((resolve) => client.once('connect', () => resolve())),
        CONNECT_TIMEOUT_MS,
        () =>
          new Error(
            `recovery watcher ${clientId}: no CONNACK within ${CONNECT_TIMEOUT_MS} ms: ${lastError === undefined ? `${broker.label} did not answer` : describeConnectFailure(broker, lastError)}`,
          ),
      );
      const granted = await client.subscribeAsync(
        topics.map((topic) => topic),
        { qos: 1 },
      );
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length > 0)
        throw new Error(
          `recovery watcher ${clientId}: ${broker.label} refused the subscription to ${refused.map((g) => g.topic).join(', ')}`,
        );
    } catch (error) {
      await watch.close();
      throw error;
    }
    return watch;
  }

  /** The component is back at `atUs` (nowUs clock): from now on receipts are timed. */
  markBack(atUs: number): void {
    this.backAtUs = atUs;
  }

  recovery(topic: string): TopicRecovery {
    const state = this.topics.get(topic);
    const back = this.backAtUs;
    if (!state || back === undefined) return { recoveryMs: null, firstReceiptAfterBackMs: null, recoveredAtUs: null };
    const ms = (atUs: number | null) => (atUs === null ? null : Math.round((atUs - back) / 100) / 10);
    return {
      recoveryMs: ms(state.recoveredAtUs),
      firstReceiptAfterBackMs: ms(state.firstReceiptAtUs),
      recoveredAtUs: state.recoveredAtUs,
    };
  }

  /** DISCONNECT (forced when offline), bounded: never hangs on a broker that is gone. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.stream?.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
      this.client.end(!this.client.connected, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const back = this.backAtUs;
    if (back === undefined) return;
    const state = this.topics.get(topic);
    if (!state || state.recoveredAtUs !== null) return;
    const atUs = nowUs();
    state.firstReceiptAtUs ??= atUs;
    const decoded = decodeMessage(payload);
    if (decoded.kind === 'ok' && decoded.sendUs >= back) {
      state.recoveredAtUs = atUs;
      if ([...this.topics.values()].every((t) => t.recoveredAtUs !== null)) this.onAllRecovered?.();
    }
  }
}
