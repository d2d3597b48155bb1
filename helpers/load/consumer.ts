import { receivePayload, type ReceiveTracker } from './accounting/index.js';
import type { LoadClient } from './client/types.js';
import type { ExpectedBody } from './payload/index.js';
import type { RunStats } from './run-stats.js';

/** SUBACK return codes with bit 0x80 set are refusals [MQTT-3.9.3-2], v5 reason codes ≥ 0x80 too. */
const SUBACK_FAILURE_BIT = 0x80;

/**
 * One subscribing client: every PUBLISH it gets goes through receivePayload
 * (decode, integrity, its receiver group's tracker), stamped with the read time of the socket chunk it
 * came in (a chunk holding 20 messages is one read; decoding the first 19 is
 * the harness's time, not the broker's). Duplicates are expected at QoS 1
 * (redelivery with DUP=1) and are counted, not dropped silently.
 */
export class Consumer {
  private closing = false;

  constructor(
    readonly clientId: string,
    readonly client: LoadClient,
    private readonly tracker: ReceiveTracker,
    private readonly stats: RunStats,
    /** Bodies this run's publishers sent: integrity by memcmp instead of CRC for known publishers. */
    private readonly expectedBody?: ExpectedBody,
  ) {
    client.onMessage(this.handleMessage);
    client.on('subscriptionRefused', this.handleRefusedResubscribe);
    client.on('reconnect', this.handleReconnect);
    client.on('close', this.handleClose);
  }

  /** SUBSCRIBE and check the SUBACK code; throws naming the client, the filter and the code. */
  async subscribe(filter: string, qos: 0 | 1 | 2): Promise<number> {
    let granted: number;
    try {
      granted = await this.client.subscribe(filter, qos);
    } catch (error) {
      throw new Error(
        `subscriber ${this.clientId}: SUBSCRIBE "${filter}" (QoS ${qos}) failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (granted >= SUBACK_FAILURE_BIT) {
      throw new Error(
        `subscriber ${this.clientId}: SUBSCRIBE "${filter}" (QoS ${qos}) refused by the broker (SUBACK 0x${granted.toString(16)})`,
      );
    }
    return granted;
  }

  detach(): void {
    this.closing = true;
  }

  private readonly handleMessage = (payload: Buffer, atUs: number): void => {
    const stats = this.stats;
    if (stats.frozen) return;
    const received = receivePayload(stats.accounting, this.tracker, payload, this.expectedBody);
    if (received.kind === 'ok') {
      const known = stats.accounting.knows(received.publisherId);
      stats.noteReceived(
        received.outcome,
        known,
        received.seq,
        received.sendUs,
        received.intendedUs,
        payload.length,
        atUs,
      );
    } else if (received.kind === 'corrupted') {
      const claimed = received.claimed ? ` (claims ${received.claimed.publisherId}#${received.claimed.seq})` : '';
      stats.noteCorrupted(`${received.reason}${claimed}`, atUs);
    }
  };

  private readonly handleRefusedResubscribe = (code: number): void => {
    if (!this.closing)
      this.stats.errors.record(
        'subscriber',
        this.clientId,
        `SUBACK refused a subscription (code 0x${code.toString(16)})`,
      );
  };

  private readonly handleReconnect = (): void => {
    if (!this.closing) this.stats.subscriberReconnects++;
  };

  private readonly handleClose = (): void => {
    if (this.closing || this.client.reconnects) return;
    this.stats.connectionsLost++;
    this.stats.errors.record('subscriber', this.clientId, 'connection closed during the run (no reconnect configured)');
  };
}
