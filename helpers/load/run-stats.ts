import { IntervalLatencyRecorder } from '../stats/interval-recorder.js';
import { LiveAccounting, RECEIPT_DUPLICATE, type ReceiptOutcome } from './accounting/index.js';
import { nowUs } from './clock.js';
import { ErrorLog } from './error-log.js';

const MAX_CORRUPTED_SAMPLES = 10;

/**
 * The live, shared state of one run, written by every producer and consumer
 * on the hot path: accounting, latency recorders, counters for the measured
 * window and the progress stamp the drain and the stall watchdog read.
 * Latencies are recorded only for measured (post-warm-up) messages.
 */
export class RunStats {
  readonly endToEnd = new IntervalLatencyRecorder();
  readonly publishConfirm = new IntervalLatencyRecorder();
  /** Only when rate limited: latency from the intended send time, and send delay. */
  readonly endToEndFromIntended: IntervalLatencyRecorder | null;
  readonly sendDelay: IntervalLatencyRecorder | null;
  readonly errors: ErrorLog;
  readonly corruptedSamples: string[] = [];

  published = 0;
  inflight = 0;
  /** Highest in-flight count any single publisher reached. */
  maxInflight = 0;
  windowFullCount = 0;
  maxSocketBufferedBytes = 0;
  publisherReconnects = 0;
  subscriberReconnects = 0;
  /** Clients without reconnect whose connection closed during the run. */
  connectionsLost = 0;
  /** Time publishers with a due message waited for the broker or the connection (µs, summed over publishers). */
  readonly blockedUs = { window: 0, socket: 0, offline: 0 };
  lastProgressUs = nowUs();
  /** Last publish handed to a client: with lastProgressUs, tells a stalled run from a slow schedule. */
  lastPublishUs = 0;
  /** After the result is taken, late callbacks (e.g. mqtt.js flushing on end()) change nothing. */
  frozen = false;

  firstMeasuredSendUs = Number.POSITIVE_INFINITY;
  lastMeasuredSendUs = 0;
  measuredSent = 0;
  lastMeasuredConfirmUs = 0;
  measuredConfirmed = 0;
  measuredConfirmedBytes = 0;
  lastMeasuredReceiveUs = 0;
  measuredReceived = 0;
  measuredReceivedBytes = 0;

  constructor(
    readonly accounting: LiveAccounting,
    readonly warmupMessages: number,
    rateLimited: boolean,
    startMs: number,
  ) {
    this.endToEndFromIntended = rateLimited ? new IntervalLatencyRecorder() : null;
    this.sendDelay = rateLimited ? new IntervalLatencyRecorder() : null;
    this.errors = new ErrorLog(startMs);
  }

  notePublished(seq: number, sendUs: number, intendedUs: number): void {
    this.published++;
    this.inflight++;
    this.lastPublishUs = sendUs;
    if (seq >= this.warmupMessages) {
      if (sendUs < this.firstMeasuredSendUs) this.firstMeasuredSendUs = sendUs;
      if (sendUs > this.lastMeasuredSendUs) this.lastMeasuredSendUs = sendUs;
      this.measuredSent++;
      this.sendDelay?.record(sendUs - intendedUs);
    }
  }

  addBlocked(kind: 'window' | 'socket' | 'offline', us: number): void {
    if (us > 0) this.blockedUs[kind] += us;
  }

  noteSettled(): void {
    this.inflight--;
  }

  noteConfirmed(seq: number, sendUs: number, bytes: number, atUs: number): void {
    if (seq >= this.warmupMessages) {
      this.publishConfirm.record(atUs - sendUs);
      this.measuredConfirmed++;
      this.measuredConfirmedBytes += bytes;
      if (atUs > this.lastMeasuredConfirmUs) this.lastMeasuredConfirmUs = atUs;
    }
    this.progress(atUs);
  }

  noteReceived(
    outcome: ReceiptOutcome,
    known: boolean,
    seq: number,
    sendUs: number,
    intendedUs: number,
    bytes: number,
    atUs: number,
  ): void {
    if (outcome !== RECEIPT_DUPLICATE && known && seq >= this.warmupMessages) {
      this.endToEnd.record(atUs - sendUs);
      this.endToEndFromIntended?.record(atUs - intendedUs);
      this.measuredReceived++;
      this.measuredReceivedBytes += bytes;
      if (atUs > this.lastMeasuredReceiveUs) this.lastMeasuredReceiveUs = atUs;
    }
    this.progress(atUs);
  }

  noteCorrupted(reason: string, atUs: number): void {
    if (this.corruptedSamples.length < MAX_CORRUPTED_SAMPLES) this.corruptedSamples.push(reason);
    this.progress(atUs);
  }

  progress(atUs: number): void {
    this.lastProgressUs = atUs;
  }

  get negativeLatencyCount(): number {
    return (
      this.endToEnd.negativeCount +
      this.publishConfirm.negativeCount +
      (this.endToEndFromIntended?.negativeCount ?? 0) +
      (this.sendDelay?.negativeCount ?? 0)
    );
  }
}
