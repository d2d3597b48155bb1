// The publishing side of one client: the bounded outbound queue, publishes
// through mqtt.js (whose outgoing store re-sends unconfirmed QoS 1/2 publishes
// after a reconnect), and settlement of each publish back to its delivery.

import type { IClientPublishOptions, IConnackPacket, MqttClient, Packet } from 'mqtt';
import type { ClientPlan } from '../config/resolve.js';
import { sweepStaleQos2 } from '../clients/pubrel-sweep.js';
import { coalesceWrites } from '../clients/write-coalescer.js';
import type { LimitedLog, Logger } from '../log.js';
import { type Outcome, RETRY, TargetQueue } from '../pipeline/target-queue.js';
import type { Stats } from '../stats.js';
import { type ForwardJob, settlePart } from './delivery.js';
import type { TargetPort } from './source.js';

const SWEEP_TIMEOUT_MS = 10_000;

/** Reused publish options (mqtt.js copies them), indexed [qos][retain]. */
const PUBLISH_OPTIONS: ReadonlyArray<readonly [IClientPublishOptions, IClientPublishOptions]> = (
  [0, 1, 2] as const
).map((qos) => [Object.freeze({ qos, retain: false }), Object.freeze({ qos, retain: true })] as const);

export interface TargetOptions {
  plan: ClientPlan;
  client: MqttClient;
  maxInflight: number;
  maxQueued: number;
  stats: Stats;
  log: Logger;
  logLimited: LimitedLog;
  /** The target can take publishes (connected, stale QoS 2 state released). */
  onAvailable: () => void;
}

export class TargetSession implements TargetPort {
  readonly queue: TargetQueue<ForwardJob>;
  readonly protocolVersion: 4 | 5;
  private readonly options: TargetOptions;
  private readonly client: MqttClient;
  private readonly coalesce: () => void;
  private firstConnection = true;
  private sweepNeeded = false;
  private shuttingDown = false;
  available = false;

  constructor(options: TargetOptions) {
    this.options = options;
    this.client = options.client;
    this.protocolVersion = options.plan.protocolVersion;
    this.coalesce = coalesceWrites(this.client);
    this.queue = new TargetQueue<ForwardJob>({
      maxInflight: options.maxInflight,
      maxQueued: options.maxQueued,
      publish: (job, done) => this.publish(job, done),
      settle: (job, outcome) => this.settle(job, outcome),
    });
    this.client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'connack') this.onConnack(packet);
    });
    this.client.on('connect', () => void this.becomeAvailable());
    this.client.on('close', () => {
      this.available = false;
      this.queue.setAvailable(false);
    });
  }

  offer(job: ForwardJob): boolean {
    return this.queue.offer(job);
  }

  get congested(): boolean {
    return this.queue.congested;
  }

  whenUncongested(resume: () => void): void {
    this.queue.whenUncongested(resume);
  }

  /** Publishes failing from now on are counted as shutdown drops. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  private onConnack(packet: IConnackPacket): void {
    const accepted = (this.protocolVersion === 5 ? packet.reasonCode : packet.returnCode) === 0;
    if (!accepted) return;
    this.sweepNeeded = this.firstConnection && packet.sessionPresent && !this.options.plan.cleanSession;
    this.firstConnection = false;
    // Never exceed the broker's Receive Maximum (MQTT 5) [MQTT-4.9.0-2].
    const receiveMaximum = packet.properties?.receiveMaximum;
    this.queue.setMaxInflight(Math.min(this.options.maxInflight, receiveMaximum ?? this.options.maxInflight));
  }

  private async becomeAvailable(): Promise<void> {
    if (this.sweepNeeded) {
      this.sweepNeeded = false;
      const released = await sweepStaleQos2(this.client, SWEEP_TIMEOUT_MS);
      if (!released) {
        this.options.log.warn('could not release stale QoS 2 packet ids of the resumed session', {
          client: this.options.plan.name,
        });
      }
      if (!this.client.connected) return;
    }
    this.available = true;
    this.queue.setAvailable(true);
    this.options.onAvailable();
  }

  private publish(job: ForwardJob, done: (error?: Error | typeof RETRY) => void): void {
    const options =
      job.properties === undefined
        ? (PUBLISH_OPTIONS[job.qos] as readonly [IClientPublishOptions, IClientPublishOptions])[job.retain ? 1 : 0]
        : { qos: job.qos, retain: job.retain, properties: job.properties };
    this.coalesce();
    this.client.publish(job.topic, job.payload, options, (error) =>
      done(error && job.qos > 0 && isConnectionClosed(error) && !this.shuttingDown ? RETRY : error),
    );
  }

  private settle(job: ForwardJob, outcome: Outcome): void {
    const { stats } = this.options;
    if (outcome === 'sent') {
      stats.forwarded++;
    } else if (outcome === 'lost') {
      stats.drop('connection_lost');
    } else if (this.shuttingDown) {
      stats.drop('shutdown');
    } else {
      stats.drop('publish_rejected');
      this.options.logLimited('error', `publish:${this.options.plan.name}`, 'target refused a publish', {
        client: this.options.plan.name,
        rule: job.rule,
        topic: job.topic,
        error: outcome,
      });
    }
    settlePart(job.delivery);
  }
}

/**
 * mqtt.js fails a QoS 1/2 publish with "Connection closed" when the connection goes while the
 * publish still waits behind the resend of a resumed session (its store-processing queue): the
 * message never reached the store, so mqtt.js will not resend it. It is sent again instead of
 * being counted as refused (which would acknowledge the source message: a loss).
 */
function isConnectionClosed(error: Error): boolean {
  return error.message === 'Connection closed';
}
