import type { SendLedger } from './accounting/index.js';
import { ConnectionLostError, type LoadClient } from './client/types.js';
import { nowUs } from './clock.js';
import type { BodyPool } from './payload/index.js';
import { MessageEncoder } from './payload/index.js';
import type { RunStats } from './run-stats.js';
import type { ScheduledProducer } from './send-loop.js';

export type BlockKind = 'window' | 'socket' | 'offline';

/** A socket that takes this long to drain is backpressure from the broker, not our own burst. */
const SOCKET_STALL_US = 2_000;

export interface ProducerConfig {
  qos: 0 | 1 | 2;
  /** Max publishes whose confirmation is pending. */
  inflightLimit: number;
  bodies: BodyPool;
  stats: RunStats;
  /** Global publisher index the bodies are chosen by (default: `index`, its position in the send loop). */
  bodyIndex?: number;
}

/**
 * One publishing client. It never buffers without bound: QoS 1/2 are limited
 * to `inflightLimit` unacknowledged publishes (mqtt.js #1372: at 65,535 ids in
 * flight the publish callback never fires), QoS 0 to `inflightLimit` unwritten
 * ones and to the socket's own backpressure (writableNeedDrain / 'drain').
 * The send loop decides when to send; this class sends and settles.
 */
export class Producer implements ScheduledProducer {
  nextSeq = 0;
  inflight = 0;
  /** Had a due message but no capacity; the next confirmation or reconnect wakes it. */
  blocked = false;
  /** Connection closed for good (no reconnect): sends nothing more. */
  dead = false;
  /** Called when a blocked producer may have capacity again. Set by the send loop. */
  onReady: () => void = () => undefined;
  /**
   * Since when this connection has waited for an acknowledgement (QoS 1/2): the send of the oldest
   * publish outstanding when none was, or the last acknowledgement while others stay outstanding.
   * 0 when nothing is outstanding.
   */
  private ackWaitSinceUs = 0;

  private readonly encoder: MessageEncoder;
  /** Bumped at every connection loss: QoS 0 callbacks of a dead stream never fire (they wait for 'drain'). */
  private epoch = 0;
  private epochInflight = 0;
  private waitingForDrain = false;
  private closing = false;
  private blockKind: BlockKind | null = null;
  private blockedSinceUs = 0;

  constructor(
    readonly index: number,
    readonly publisherId: string,
    readonly clientId: string,
    readonly topic: string,
    readonly client: LoadClient,
    readonly ledger: SendLedger,
    private readonly config: ProducerConfig,
  ) {
    this.encoder = new MessageEncoder(publisherId);
    client.on('close', this.handleClose);
    client.on('connect', this.handleConnect);
    client.on('reconnect', this.handleReconnect);
  }

  /** True when a publish can go out now: connected, window not full, socket not asking to drain. */
  hasCapacity(): boolean {
    if (this.dead) return false;
    if (!this.client.connected) {
      this.beginBlock('offline');
      return false;
    }
    // MQTT 5: never more unacknowledged QoS 1/2 publishes than the broker's Receive Maximum.
    const limit =
      this.config.qos > 0 ? Math.min(this.config.inflightLimit, this.client.sendQuota) : this.config.inflightLimit;
    if (this.inflight >= limit) {
      if (!this.blocked) this.config.stats.windowFullCount++;
      this.beginBlock('window');
      return false;
    }
    if (this.config.qos === 0) {
      const buffered = this.client.bufferedBytes();
      if (buffered > this.config.stats.maxSocketBufferedBytes) this.config.stats.maxSocketBufferedBytes = buffered;
      if (this.client.writeBlocked()) {
        this.awaitDrain();
        this.beginBlock('socket');
        return false;
      }
    }
    this.endBlock();
    return true;
  }

  /** Closes an open backpressure episode (end of the send phase). */
  endBlock(atUs?: number): void {
    if (this.blockKind === null) return;
    this.config.stats.addBlocked(this.blockKind, (atUs ?? nowUs()) - this.blockedSinceUs);
    this.blockKind = null;
  }

  /**
   * Starts timing a backpressure episode: a due message waits for the broker
   * (window full: confirmations outstanding; socket: the broker is not
   * reading) or for the connection. It ends when the capacity comes back, not
   * when the loop gets round to the producer: that wait is the harness's own.
   */
  private beginBlock(kind: BlockKind): void {
    if (this.blockKind !== null) return;
    this.blockKind = kind;
    this.blockedSinceUs = nowUs();
  }

  /** Publishes the next sequence. `intendedUs` null = not rate limited (intended = actual). */
  send(intendedUs: number | null): number {
    const seq = this.nextSeq++;
    const sendUs = nowUs();
    const intended = intendedUs ?? sendUs;
    const payload = this.encoder.prepare(
      seq,
      sendUs,
      intended,
      this.config.bodies.bodyFor(this.publisherId, this.config.bodyIndex ?? this.index, seq),
    );
    this.ledger.issue(seq);
    if (++this.inflight > this.config.stats.maxInflight) this.config.stats.maxInflight = this.inflight;
    if (this.inflight === 1) this.ackWaitSinceUs = sendUs;
    this.epochInflight++;
    this.config.stats.notePublished(seq, sendUs, intended);
    const epoch = this.epoch;
    const bytes = payload.byteLength;
    this.client.publish(this.topic, payload, this.config.qos, (error, atUs) =>
      this.settle(seq, sendUs, bytes, epoch, error, atUs),
    );
    return sendUs;
  }

  /**
   * How long this connection has waited for an acknowledgement of an outstanding QoS 1/2 publish
   * while connected (0: not waiting). A broker that stops acknowledging shows here, not as a slow
   * schedule.
   */
  ackWaitUs(now: number): number {
    if (this.config.qos === 0 || this.dead || this.inflight === 0 || !this.client.connected) return 0;
    return now - this.ackWaitSinceUs;
  }

  /** Stops reacting to connection events (the run is closing its clients). */
  detach(): void {
    this.closing = true;
  }

  /** `atUs`: the read time of the acknowledgement's chunk (QoS 1/2) or when the write completed (QoS 0). */
  private settle(
    seq: number,
    sendUs: number,
    bytes: number,
    epoch: number,
    error: Error | undefined,
    atUs: number,
  ): void {
    const stats = this.config.stats;
    if (stats.frozen) return;
    if (epoch === this.epoch) {
      this.inflight--;
      this.epochInflight--;
      stats.noteSettled();
      this.ackWaitSinceUs = this.inflight > 0 ? atUs : 0;
    }
    if (error instanceof ConnectionLostError) {
      // Unconfirmed, not refused: the connection's end is recorded by handleClose.
      stats.progress(atUs);
    } else if (error) {
      if (this.ledger.fail(seq)) {
        stats.errors.record('publisher', this.clientId, `publish failed: ${error.message}`);
      }
      stats.progress(atUs);
    } else if (this.ledger.confirm(seq)) {
      stats.noteConfirmed(seq, sendUs, bytes, atUs);
    }
    if (this.blockKind === 'window' && this.inflight < this.config.inflightLimit) this.endBlock(error ? nowUs() : atUs);
    if (this.blocked) this.onReady();
  }

  private awaitDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    const sinceUs = nowUs();
    this.client.onceWritable(() => {
      this.waitingForDrain = false;
      // A burst fills the 16 KB stream buffer and drains on the next tick; only a
      // socket that stays full means the broker is not reading (backpressure).
      if (nowUs() - sinceUs >= SOCKET_STALL_US) this.config.stats.windowFullCount++;
      if (this.blockKind === 'socket') this.endBlock();
      if (this.blocked) this.onReady();
    });
  }

  private readonly handleClose = (): void => {
    if (this.closing) return;
    const stats = this.config.stats;
    if (this.config.qos === 0 && this.epochInflight > 0) {
      // Unwritten QoS 0 publishes died with the socket; they stay unconfirmed in the ledger.
      this.inflight -= this.epochInflight;
      stats.inflight -= this.epochInflight;
      this.epochInflight = 0;
      this.epoch++;
    }
    this.waitingForDrain = false;
    if (!this.client.reconnects) {
      this.endBlock();
      this.dead = true;
      stats.connectionsLost++;
      stats.errors.record('publisher', this.clientId, 'connection closed during the run (no reconnect configured)');
      this.onReady();
    }
  };

  private readonly handleReconnect = (): void => {
    if (!this.closing) this.config.stats.publisherReconnects++;
  };

  private readonly handleConnect = (): void => {
    if (this.closing) return;
    // Outstanding publishes are sent again on the new connection: their wait starts now.
    if (this.inflight > 0) this.ackWaitSinceUs = nowUs();
    if (this.blockKind === 'offline') this.endBlock();
    if (this.blocked) this.onReady();
  };
}
