// The receiving side of one client: subscriptions, intake of PUBLISH packets,
// routing to targets, and in-order acknowledgements once targets confirmed.

import type { IConnackPacket, IPublishPacket, MqttClient, Packet } from 'mqtt';
import type { ClientPlan } from '../config/resolve.js';
import { type HeldAcks, holdPublishAcks } from '../clients/held-acks.js';
import { coalesceWrites } from '../clients/write-coalescer.js';
import type { LimitedLog, Logger } from '../log.js';
import { OrderedAcks } from '../pipeline/ordered-acks.js';
import type { QoS } from '../qos.js';
import type { DropReason, Stats } from '../stats.js';
import type { Router } from '../topics/router.js';
import type { PlannedSubscription } from '../topics/subscriptions.js';
import { type Delivery, type ForwardJob, attachRedelivery, settlePart } from './delivery.js';
import { forwardedQos, forwardedRetain } from './policy.js';

/** MQTT 5 Retain Handling: send retained messages on subscribe always / only for a new subscription / never. */
const RETAIN_HANDLING_ALWAYS = 0;
const RETAIN_HANDLING_IF_NEW = 1;
const RETAIN_HANDLING_NEVER = 2;
const CONNACK_ACCEPTED = 0;
/** v5 PUBLISH properties that describe the message and so travel with it. */
const FORWARDED_PROPERTIES = [
  'payloadFormatIndicator',
  'messageExpiryInterval',
  'contentType',
  'responseTopic',
  'correlationData',
  'userProperties',
] as const;

export interface TargetPort {
  readonly protocolVersion: 4 | 5;
  /** false: dropped because the queue is full (only droppable jobs). */
  offer(job: ForwardJob): boolean;
  /** Connected but its queue is full: sources feeding it pause. */
  readonly congested: boolean;
  whenUncongested(resume: () => void): void;
}

export interface SourceOptions {
  plan: ClientPlan;
  client: MqttClient;
  router: Router;
  subscriptions: readonly PlannedSubscription[];
  maxInflight: number;
  replayRetainedOnReconnect: boolean;
  targets: ReadonlyMap<string, TargetPort>;
  stats: Stats;
  log: Logger;
  logLimited: LimitedLog;
  /** Subscriptions of the current connection are acknowledged (or not needed). */
  onSubscribed: () => void;
}

function forwardedProperties(packet: IPublishPacket): IPublishPacket['properties'] | undefined {
  const source = packet.properties;
  if (source === undefined) return undefined;
  let out: IPublishPacket['properties'] | undefined;
  for (const key of FORWARDED_PROPERTIES) {
    if (source[key] !== undefined) (out ??= {})[key] = source[key] as never;
  }
  return out;
}

export class SourceSession {
  readonly acks: OrderedAcks;
  private readonly held: HeldAcks;
  private readonly options: SourceOptions;
  private readonly client: MqttClient;
  private readonly debug: boolean;
  /** The targets this source's rules publish to. */
  private readonly feeds: TargetPort[];
  /** QoS 1/2 messages of the current connection whose ack was not sent, by packet id. */
  private readonly unacked = new Map<number, Delivery>();
  /** Unacked messages of a previous connection, in case the broker redelivers them (DUP). */
  private readonly orphans = new Map<number, Delivery>();
  private firstConnection = true;
  private subscribedOnce = false;
  private needsSubscribe = false;
  private acceptStoredRetained = false;
  private stopping = false;
  private pausedKeepalive: NodeJS.Timeout | null = null;
  subscribed = false;

  constructor(options: SourceOptions) {
    this.options = options;
    this.client = options.client;
    this.debug = options.log.isEnabled('debug');
    this.feeds = [...new Set(options.router.targetClients())].map((name) => options.targets.get(name) as TargetPort);
    const coalesce = coalesceWrites(this.client);
    this.acks = new OrderedAcks({
      capacity: options.maxInflight,
      send: (qos, messageId) => {
        this.unacked.delete(messageId);
        if (!this.client.connected) return;
        coalesce();
        this.held.sendAck(qos, messageId);
      },
    });
    this.held = holdPublishAcks(this.client, (done) => this.admitNext(done));
    this.client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'publish') this.onPublish(packet);
      else if (packet.cmd === 'connack') this.onConnack(packet);
    });
    this.client.on('connect', () => this.subscribe());
    this.client.on('close', () => this.onClose());
  }

  /** Stop taking new messages (shutdown); they stay with the broker, unacknowledged. */
  stopIntake(): void {
    this.stopping = true;
  }

  /** Messages accepted and not yet acknowledged. */
  get inflight(): number {
    return this.acks.size;
  }

  /**
   * mqtt.js is ready to hand over the next packet: let it, unless the in-flight
   * limit is reached or a target this source feeds is congested (then the
   * socket is not read and TCP pushes back on the broker).
   */
  private admitNext(done: () => void): void {
    if (this.stopping) return; // never resumed: intake stays paused until exit
    if (this.acks.isFull) {
      this.keepAliveWhilePaused();
      this.acks.whenSpace(() => this.admitNext(done));
      return;
    }
    for (const target of this.feeds) {
      if (target.congested) {
        this.keepAliveWhilePaused();
        target.whenUncongested(() => this.admitNext(done));
        return;
      }
    }
    this.stopPausedKeepalive();
    done();
  }

  /**
   * While intake is paused mqtt.js reads no packets, PINGRESP included, and
   * would end the connection after 1.5 keep alive periods. Keep it alive by
   * hand: the broker sees our PINGREQs, and mqtt.js's timer is reset.
   */
  private keepAliveWhilePaused(): void {
    const keepaliveS = this.options.plan.keepaliveS;
    if (this.pausedKeepalive !== null || keepaliveS === 0) return;
    this.pausedKeepalive = setInterval(
      () => {
        this.client.sendPing();
        this.client.reschedulePing(true);
      },
      (keepaliveS * 1000) / 2,
    );
  }

  private stopPausedKeepalive(): void {
    if (this.pausedKeepalive !== null) clearInterval(this.pausedKeepalive);
    this.pausedKeepalive = null;
  }

  private onConnack(packet: IConnackPacket): void {
    const code = this.options.plan.protocolVersion === 5 ? packet.reasonCode : packet.returnCode;
    if (code !== CONNACK_ACCEPTED) return;
    const resumed = packet.sessionPresent === true;
    if (!resumed) this.orphans.clear();
    // MQTT 3.1.1 has no Retain Handling option: stored retained messages come
    // with every new subscription. Forward them only on the first, new session
    // of this process (or always, when configured).
    this.acceptStoredRetained = this.options.replayRetainedOnReconnect || (this.firstConnection && !resumed);
    this.needsSubscribe = this.firstConnection || !resumed;
    this.firstConnection = false;
  }

  private subscribe(): void {
    if (!this.needsSubscribe) {
      this.markSubscribed();
      return;
    }
    const v5 = this.options.plan.protocolVersion === 5;
    const rh = this.options.replayRetainedOnReconnect
      ? RETAIN_HANDLING_ALWAYS
      : this.subscribedOnce
        ? RETAIN_HANDLING_NEVER
        : RETAIN_HANDLING_IF_NEW;
    const map: Record<string, { qos: QoS; nl?: boolean; rap?: boolean; rh?: number }> = {};
    for (const { filter, qos } of this.options.subscriptions) {
      // No Local: never receive our own publishes back; Retain As Published: keep the publisher's RETAIN.
      map[filter] = v5 ? { qos, nl: true, rap: true, rh } : { qos };
    }
    this.client.subscribe(map, (error, granted) => {
      if (error) {
        this.options.log.error('subscribe failed', { client: this.options.plan.name, error });
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) {
        this.options.log.error('subscription refused by broker', { client: this.options.plan.name, filters: refused });
        return;
      }
      this.options.log.info('subscribed', {
        client: this.options.plan.name,
        subscriptions: (granted ?? []).map((g) => `${g.topic} (qos ${g.qos})`),
      });
      this.subscribedOnce = true;
      this.markSubscribed();
    });
  }

  private markSubscribed(): void {
    this.subscribed = true;
    this.options.onSubscribed();
  }

  private onClose(): void {
    this.subscribed = false;
    this.stopPausedKeepalive();
    // Acks of this connection can no longer be sent; remember the messages so a
    // DUP redelivery on a resumed session is not forwarded a second time.
    this.acks.reset();
    for (const [messageId, delivery] of this.unacked) this.orphans.set(messageId, delivery);
    this.unacked.clear();
  }

  private drop(reason: DropReason): void {
    this.options.stats.drop(reason);
  }

  private onPublish(packet: IPublishPacket): void {
    const { stats } = this.options;
    const qos = packet.qos;
    const topic = packet.topic;
    stats.received++;
    if (this.stopping) {
      // QoS 1/2 stay unacknowledged with the broker (redelivered to a persistent session); QoS 0 is gone.
      if (qos === 0) this.drop('shutdown');
      return;
    }
    if (qos > 0 && packet.dup && this.redelivered(packet)) return;
    let delivery: Delivery | null = null;
    if (qos > 0) {
      const slot = this.acks.push(packet.messageId as number, qos as 1 | 2);
      // pending starts at 1 while routing, so a publish settled synchronously
      // cannot release the ack before every route was offered.
      delivery = { pending: 1, done: false, topic, acks: this.acks, slot, extraSlots: null };
      this.unacked.set(slot.messageId, delivery);
    }
    if (packet.retain && this.options.plan.protocolVersion === 4 && !this.acceptStoredRetained) {
      this.drop('retained_replay');
    } else {
      this.route(packet, delivery);
    }
    settlePart(delivery);
  }

  /** A DUP of a message accepted on an earlier connection: wait for that one instead of forwarding again. */
  private redelivered(packet: IPublishPacket): boolean {
    const messageId = packet.messageId as number;
    const earlier = this.orphans.get(messageId);
    if (earlier === undefined || earlier.topic !== packet.topic) return false;
    this.orphans.delete(messageId);
    const slot = this.acks.push(messageId, packet.qos as 1 | 2);
    this.unacked.set(messageId, earlier);
    this.options.stats.duplicatesSuppressed++;
    attachRedelivery(earlier, slot);
    return true;
  }

  private route(packet: IPublishPacket, delivery: Delivery | null): void {
    const { router, targets, plan } = this.options;
    const routes = router.match(packet.topic);
    if (routes.length === 0) {
      this.drop('no_matching_rule');
      return;
    }
    const payload = packet.payload as Buffer;
    const emptyPayload = payload.length === 0;
    const received = { retain: packet.retain, emptyPayload, protocolVersion: plan.protocolVersion };
    for (const route of routes) {
      const { rule } = route;
      if (route.targetTopic === null) {
        this.drop('unmappable_topic');
        continue;
      }
      const retain = forwardedRetain(rule.retainHandling, received);
      if (retain === null) {
        this.drop('retain_dropped');
        continue;
      }
      // Empty payloads (retained deletes) pass through: no callback can make sense of them.
      let out = payload;
      if (route.transform !== null && !emptyPayload) {
        const result = route.transform(payload);
        if (typeof result === 'string') {
          this.drop('callback_error');
          this.options.logLimited('warn', `callback:${rule.name}`, 'callback rejected a message', {
            rule: rule.name,
            callback: rule.callback,
            topic: packet.topic,
            reason: result,
          });
          continue;
        }
        out = result;
      }
      const target = targets.get(rule.targetClient) as TargetPort;
      const job: ForwardJob = {
        topic: route.targetTopic,
        payload: out,
        qos: forwardedQos(rule.qosPolicy, packet.qos),
        retain,
        droppable: delivery === null,
        delivery,
        rule: rule.name,
        sourceTopic: packet.topic,
        properties:
          plan.protocolVersion === 5 && target.protocolVersion === 5 ? forwardedProperties(packet) : undefined,
      };
      if (delivery !== null) delivery.pending++;
      if (!target.offer(job)) {
        this.drop('queue_full'); // only droppable (QoS 0 source, no delivery) jobs are refused
        continue;
      }
      if (this.debug) {
        this.options.log.debug('forwarding', {
          rule: rule.name,
          from: `${plan.name}:${packet.topic}`,
          to: `${rule.targetClient}:${job.topic}`,
          qos: job.qos,
          retain: job.retain,
          bytes: out.length,
        });
      }
    }
  }
}
