import type { Writable } from 'node:stream';
import type { IClientPublishOptions, MqttClient, Packet } from 'mqtt';
import { nowUs } from '../clock.js';
import { closeLoadClient, connectLoadClient, trackReadTime } from '../mqtt-connect.js';
import type {
  ConnectSpec,
  LoadClient,
  LoadClientEvents,
  MessageHandler,
  PayloadWriter,
  PingOutcome,
  PublishDone,
} from './types.js';

/** SUBACK return codes with bit 0x80 set are refusals [MQTT-3.9.3-2], v5 reason codes ≥ 0x80 too. */
const SUBACK_FAILURE_BIT = 0x80;
const PUBLISH_OPTIONS: readonly IClientPublishOptions[] = [0, 1, 2].map((qos) => ({
  qos: qos as 0 | 1 | 2,
  retain: false,
}));

/**
 * The load-client contract over mqtt.js: every connect option it has, and
 * automatic reconnects with resubscription, which the fault suites need.
 * Publishes and receipts are stamped with the read time of their socket chunk.
 */
export class MqttJsLoadClient implements LoadClient {
  readonly kind = 'mqtt.js';
  private readUs = 0;
  private subscribing = 0;

  private constructor(readonly client: MqttClient) {
    trackReadTime(client, (atUs) => (this.readUs = atUs));
  }

  static async connect(spec: ConnectSpec): Promise<MqttJsLoadClient> {
    return new MqttJsLoadClient(await connectLoadClient(spec));
  }

  get clientId(): string {
    return this.client.options.clientId ?? '';
  }

  get connected(): boolean {
    return this.client.connected;
  }

  get reconnects(): boolean {
    return (this.client.options.reconnectPeriod ?? 0) > 0;
  }

  get localPort(): number | undefined {
    return (this.client.stream as { localPort?: number } | undefined)?.localPort;
  }

  /** mqtt.js does not hold publishers to the broker's Receive Maximum; the engine's window is the bound. */
  readonly sendQuota = 65_535;
  readonly packetIdReuses = 0;

  publish(topic: string, payload: PayloadWriter, qos: 0 | 1 | 2, done: PublishDone): void {
    const bytes = Buffer.allocUnsafe(payload.byteLength);
    payload.writeInto(bytes, 0);
    this.client.publish(topic, bytes, PUBLISH_OPTIONS[qos] as IClientPublishOptions, (error) => {
      // QoS 0 is confirmed when written: stamped now. QoS 1/2 by the read that brought the ack.
      done(error, qos > 0 && !error && this.readUs > 0 ? this.readUs : nowUs());
    });
  }

  writeBlocked(): boolean {
    return (this.client.stream as Writable).writableNeedDrain;
  }

  bufferedBytes(): number {
    return (this.client.stream as Writable).writableLength;
  }

  onceWritable(listener: () => void): void {
    (this.client.stream as Writable).once('drain', listener);
  }

  async subscribe(filter: string, qos: 0 | 1 | 2): Promise<number> {
    this.subscribing++;
    try {
      const granted = await this.client.subscribeAsync(filter, { qos });
      return granted[0]?.qos ?? SUBACK_FAILURE_BIT;
    } finally {
      this.subscribing--;
    }
  }

  onMessage(handler: MessageHandler): void {
    this.client.on('message', (_topic, payload) => handler(payload, this.readUs > 0 ? this.readUs : nowUs()));
  }

  on<E extends keyof LoadClientEvents>(event: E, listener: LoadClientEvents[E]): void {
    if (event !== 'subscriptionRefused') {
      this.client.on(event, listener as () => void);
      return;
    }
    // mqtt.js resubscribes after a reconnect without telling anyone when the broker refuses.
    this.client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd !== 'suback' || this.subscribing > 0) return;
      for (const code of packet.granted as unknown[]) {
        const value = typeof code === 'number' ? code : ((code as { qos?: number }).qos ?? 0);
        if (value >= SUBACK_FAILURE_BIT) listener(value);
      }
    });
  }

  ping(timeoutMs: number): Promise<PingOutcome> {
    const client = this.client;
    if (!client.connected) return Promise.resolve('closed');
    return new Promise<PingOutcome>((resolve) => {
      const settle = (outcome: PingOutcome): void => {
        clearTimeout(timer);
        client.off('packetreceive', onPacket);
        client.off('close', onClose);
        resolve(outcome);
      };
      const onPacket = (packet: Packet): void => {
        if (packet.cmd === 'pingresp') settle('answered');
      };
      const onClose = (): void => settle('closed');
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      client.on('packetreceive', onPacket);
      client.on('close', onClose);
      client.sendPing();
    });
  }

  close(): Promise<void> {
    return closeLoadClient(this.client);
  }
}
