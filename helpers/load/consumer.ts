import type { MqttClient, Packet } from 'mqtt';
import type { ReceiveTracker } from './accounting/index.js';
import { nowUs } from './clock.js';
import { trackReadTime } from './mqtt-connect.js';
import { decodeMessage, type ExpectedBody } from './payload/index.js';
import type { RunStats } from './run-stats.js';

/** SUBACK return codes with bit 0x80 set are refusals [MQTT-3.9.3-2], v5 reason codes ≥ 0x80 too. */
const SUBACK_FAILURE_BIT = 0x80;

/**
 * One subscribing client: decodes every PUBLISH it gets (mqtt.js emits
 * 'message' on PUBLISH for QoS 0/1 and on PUBREL for QoS 2) and records it in
 * its receiver group's tracker. Duplicates are expected at QoS 1 (redelivery
 * with DUP=1) and are counted, not dropped silently.
 */
export class Consumer {
  private closing = false;
  /** Read time of the latest socket chunk: the receive stamp of the messages parsed from it. */
  private readUs = 0;

  constructor(
    readonly clientId: string,
    readonly client: MqttClient,
    private readonly tracker: ReceiveTracker,
    private readonly stats: RunStats,
    /** Bodies this run's publishers sent: integrity by memcmp instead of CRC for known publishers. */
    private readonly expectedBody?: ExpectedBody,
  ) {
    trackReadTime(client, (atUs) => (this.readUs = atUs));
    client.on('message', this.handleMessage);
    client.on('packetreceive', this.watchResubscribe);
    client.on('reconnect', this.handleReconnect);
    client.on('close', this.handleClose);
  }

  /** SUBSCRIBE and check every SUBACK code; throws naming the client, the filter and the code. */
  async subscribe(filter: string, qos: 0 | 1 | 2): Promise<number> {
    let granted;
    try {
      granted = await this.client.subscribeAsync(filter, { qos });
    } catch (error) {
      throw new Error(`subscriber ${this.clientId}: SUBSCRIBE "${filter}" (QoS ${qos}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const grant = granted[0];
    if (!grant || grant.qos >= SUBACK_FAILURE_BIT) {
      const code = grant ? `0x${grant.qos.toString(16)}` : 'no grant';
      throw new Error(`subscriber ${this.clientId}: SUBSCRIBE "${filter}" (QoS ${qos}) refused by the broker (SUBACK ${code})`);
    }
    return grant.qos;
  }

  detach(): void {
    this.closing = true;
  }

  private readonly handleMessage = (_topic: string, payload: Buffer): void => {
    const stats = this.stats;
    if (stats.frozen) return;
    const atUs = this.readUs > 0 ? this.readUs : nowUs();
    const decoded = decodeMessage(payload, this.expectedBody);
    if (decoded.kind === 'ok') {
      if (decoded.reparsed) this.tracker.reparsed++;
      const outcome = stats.accounting.receive(this.tracker, decoded.publisherId, decoded.seq);
      const known = stats.accounting.knows(decoded.publisherId);
      stats.noteReceived(outcome, known, decoded.seq, decoded.sendUs, decoded.intendedUs, payload.length, atUs);
    } else if (decoded.kind === 'corrupted') {
      this.tracker.corrupted++;
      const claimed = decoded.claimed ? ` (claims ${decoded.claimed.publisherId}#${decoded.claimed.seq})` : '';
      stats.noteCorrupted(`${decoded.reason}${claimed}`, atUs);
    } else {
      this.tracker.foreign++;
    }
  };

  /** mqtt.js resubscribes after a reconnect without telling anyone when the broker refuses. */
  private readonly watchResubscribe = (packet: Packet): void => {
    if (packet.cmd !== 'suback' || this.closing) return;
    for (const code of packet.granted as unknown[]) {
      const value = typeof code === 'number' ? code : (code as { qos?: number }).qos ?? 0;
      if (value >= SUBACK_FAILURE_BIT) {
        this.stats.errors.record('subscriber', this.clientId, `SUBACK refused a subscription (code 0x${value.toString(16)})`);
      }
    }
  };

  private readonly handleReconnect = (): void => {
    if (!this.closing) this.stats.subscriberReconnects++;
  };

  private readonly handleClose = (): void => {
    if (this.closing || this.client.options.reconnectPeriod) return;
    this.stats.errors.record('subscriber', this.clientId, 'connection closed during the run (no reconnect configured)');
  };
}
