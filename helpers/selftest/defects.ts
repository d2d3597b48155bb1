/**
 * The defects of a broken broker, as pure transformations of MQTT packets (no I/O): what the
 * faulty proxy (faulty-proxy.ts) does to the packets of one client connection on their way between
 * the client and a real broker. Each defect is small and deterministic: it hits every Nth eligible
 * message of a connection (counted per connection, 1-based: the `first`th, then every `every`th
 * after it), so a child run's outcome does not depend on timing.
 *
 * | defect                   | eligible                                     | what a hit does                                                                                        |
 * | ------------------------ | -------------------------------------------- | ------------------------------------------------------------------------------------------------------ |
 * | `none`                   | nothing                                      | nothing: the proxy is transparent (every packet it does not change is forwarded byte for byte)        |
 * | `wrong-qos-downgrade`    | QoS 1/2 deliveries                           | delivered at QoS 0 instead of min(pub, sub); the proxy acknowledges it to the broker itself (PUBACK, or PUBREC then PUBCOMP) |
 * | `wrong-qos-upgrade`      | QoS 0 deliveries                             | delivered at QoS 1 with a packet id of the proxy's own; the client's PUBACK for it never reaches the broker |
 * | `wrong-grant`            | QoS 2 grants in a SUBACK                     | the SUBACK grants QoS 1, while the broker goes on delivering at QoS 2                                  |
 * | `drop-retained`          | deliveries with RETAIN=1                     | removed (acknowledged to the broker), as if the broker had lost the retained message                   |
 * | `strip-retain`           | deliveries with RETAIN=1                     | delivered with RETAIN=0: a retained message sent to a new subscription looks like a live one          |
 * | `retain-live`            | deliveries with RETAIN=0                     | delivered with RETAIN=1: a live delivery looks like a retained one                                     |
 * | `ignore-retained-delete` | the client's retained PUBLISHes with an empty payload | acknowledged to the client by the proxy (PUBACK, or PUBREC then PUBCOMP) and never passed on: the old retained message stays |
 * | `forget-sessions`        | CONNECTs asking for a persistent session     | rewritten to Clean Session 1 / Clean Start 1 without Session Expiry: the broker keeps no session       |
 * | `keep-clean-sessions`    | CONNECTs asking for a clean session          | rewritten to Clean Session 0 / Clean Start 0: an old session of the client id is resumed, not discarded |
 * | `drop`                   | deliveries                                   | removed (acknowledged to the broker): the subscriber never gets it                                     |
 * | `duplicate`              | deliveries                                   | delivered twice; at QoS 1/2 the copy is a separate PUBLISH with a packet id of the proxy's own, so even QoS 2 is a real duplicate delivery |
 * | `reorder`                | deliveries                                   | held back and released right after the next delivery (or after `holdMs` when none follows)            |
 * | `corrupt`                | deliveries with a payload                    | the low bit of the payload's middle byte (or of byte `byte`) is flipped                                |
 * | `delay`                  | deliveries                                   | held back `delayMs` (packets to the client stay in order: what follows waits behind it)                |
 * | `never-ack`              | the client's QoS 1/2 PUBLISHes               | swallowed: never reach the broker and are never acknowledged (no PUBACK/PUBREC), as a broker that silently drops them |
 * | `slow-ack`               | the broker's PUBACKs and PUBRECs to a client | held back `delayMs`, as a broker slow to confirm (packets to the client stay in order)                |
 *
 * A delivery is a PUBLISH from the broker to its client (a subscriber). Topics starting with `$`
 * (`$SYS/...`) are the broker's own and never eligible. A broker's retransmission of a PUBLISH the
 * client has not acknowledged yet (DUP=1, packet id in flight) is passed on, not counted again.
 *
 * Packet ids of the broker's outgoing QoS 1/2 flows are mapped between the broker side and the
 * client side (identity unless the proxy's own copies, which take ids from the top of the range,
 * collide with one the broker uses), so acknowledgements the client sends for a delivery reach the
 * broker with the broker's id, and the client's acknowledgements of the proxy's own copies never
 * reach the broker at all.
 */
import type { IConnectPacket, IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';

export const DEFECT_NAMES = [
  'none',
  'wrong-qos-downgrade',
  'wrong-qos-upgrade',
  'wrong-grant',
  'drop-retained',
  'strip-retain',
  'retain-live',
  'ignore-retained-delete',
  'forget-sessions',
  'keep-clean-sessions',
  'drop',
  'duplicate',
  'reorder',
  'corrupt',
  'delay',
  'never-ack',
  'slow-ack',
] as const;
export type DefectName = (typeof DEFECT_NAMES)[number];

export interface DefectSpec {
  name: DefectName;
  /** Hit every `every`th eligible message of a connection. Default: see DEFECT_DEFAULTS. */
  every?: number;
  /** The first hit, 1-based among the eligible messages of a connection. Default: `every`. */
  first?: number;
  /** corrupt: the payload byte whose low bit is flipped (clamped to the payload). Default: the middle byte. */
  byte?: number;
  /** delay, slow-ack: how long each hit packet is held back, ms. Default DEFAULT_DELAY_MS. */
  delayMs?: number;
}

/** delay: long enough to stand out from the queueing of a forwarding-loss burst through the proxy (p99 about 100 ms). */
export const DEFAULT_DELAY_MS = 1_000;

interface DefectDefaults {
  every: number;
  first?: number;
  /** One line for reports and logs; `{n}` is the rate, `{ms}` the delay. */
  what: string;
}

/**
 * Rates chosen so that each defect must break a gate or an assertion of the ci profile: QoS 0 may
 * lose 0.1 % and QoS 1 may duplicate 1 % (fixtures/gates/default.json); a qos-matrix cell has 30
 * messages; a forwarding-loss medium scenario 2,050 per subscriber.
 */
export const DEFECT_DEFAULTS: Record<DefectName, DefectDefaults> = {
  none: { every: 1, what: 'no defect: a transparent proxy' },
  'wrong-qos-downgrade': { every: 10, what: 'every {n} QoS 1/2 delivery arrives at QoS 0' },
  'wrong-qos-upgrade': { every: 10, what: 'every {n} QoS 0 delivery arrives at QoS 1' },
  'wrong-grant': { every: 1, what: 'every {n} SUBACK grant of QoS 2 says QoS 1, while QoS 2 is delivered' },
  'drop-retained': { every: 2, first: 1, what: 'every {n} retained delivery is lost' },
  'strip-retain': { every: 2, first: 1, what: 'every {n} retained delivery arrives without its RETAIN flag' },
  'retain-live': { every: 1, what: 'every {n} live delivery arrives with the RETAIN flag set' },
  'ignore-retained-delete': {
    every: 1,
    what: 'every {n} retained delete (empty retained PUBLISH) is acknowledged but ignored: the old retained message stays',
  },
  'forget-sessions': {
    every: 1,
    what: 'every {n} persistent-session CONNECT reaches the broker as a clean one: sessions are forgotten',
  },
  'keep-clean-sessions': {
    every: 1,
    what: 'every {n} clean-session CONNECT reaches the broker as a persistent one: old sessions are not discarded',
  },
  drop: { every: 50, what: 'every {n} delivery is dropped' },
  duplicate: { every: 20, what: 'every {n} delivery is delivered twice' },
  reorder: { every: 10, what: 'every {n} delivery is delivered after the next one' },
  corrupt: { every: 50, what: 'every {n} delivery has one payload bit flipped' },
  delay: { every: 1, what: 'every {n} delivery is held back {ms} ms' },
  'never-ack': { every: 100, what: 'every {n} QoS 1/2 publish is swallowed: never delivered, never acknowledged' },
  'slow-ack': { every: 1, what: 'every {n} PUBACK or PUBREC to a publisher is held back {ms} ms' },
};

/** e.g. `drop: every 50th delivery is dropped`, for logs and failure messages. */
export function describeDefect(spec: DefectSpec): string {
  const { every, first, delayMs } = resolved(spec);
  const nth = every === 1 ? '' : `${ordinal(every)} `;
  const from = first === every ? '' : ` (from the ${ordinal(first)} on each connection)`;
  const where = spec.name === 'corrupt' && spec.byte !== undefined ? ` (byte ${spec.byte})` : '';
  const what = DEFECT_DEFAULTS[spec.name].what.replace('{n} ', nth).replace('{ms}', delayMs.toLocaleString('en-US'));
  return `${spec.name}: ${what}${where}${from}`;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function resolved(spec: DefectSpec): { every: number; first: number; delayMs: number } {
  const defaults = DEFECT_DEFAULTS[spec.name];
  const every = spec.every ?? defaults.every;
  if (!Number.isInteger(every) || every < 1)
    throw new RangeError(`defect ${spec.name}: every must be a whole number >= 1, got ${every}`);
  const first = spec.first ?? defaults.first ?? every;
  if (!Number.isInteger(first) || first < 1)
    throw new RangeError(`defect ${spec.name}: first must be a whole number >= 1, got ${first}`);
  const delayMs = spec.delayMs ?? DEFAULT_DELAY_MS;
  if (spec.delayMs !== undefined && spec.name !== 'delay' && spec.name !== 'slow-ack')
    throw new RangeError(`defect ${spec.name}: delayMs is for the delay and slow-ack defects only, remove it`);
  if (!Number.isInteger(delayMs) || delayMs < 1)
    throw new RangeError(`defect ${spec.name}: delayMs must be a whole number of milliseconds >= 1, got ${delayMs}`);
  return { every, first, delayMs };
}

export type Side = 'client' | 'broker';

/** A packet the proxy sends to one side. The very packet object it was given means "unchanged": the proxy then forwards the original bytes. */
export interface Emit {
  to: Side;
  packet: Packet;
  /** Send it this much later; packets to the same side after it wait behind it (order is kept). */
  delayMs?: number;
}

export interface DefectStats {
  /** PUBLISH packets from the broker to the client on non-`$` topics. */
  deliveries: number;
  /** Messages the defect changed, dropped, held or rewrote. */
  hits: number;
  /** Up to 20 descriptions of hits, e.g. `dropped QoS 1 delivery on a/b (packet id 7)`. */
  samples: string[];
}

const SAMPLE_LIMIT = 20;
const MAX_PACKET_ID = 65_535;

type ClientSideId = { owner: 'broker'; brokerId: number } | { owner: 'proxy' };

/** Packet ids of the broker-to-client QoS 1/2 flows of one connection, broker side and client side. */
export class ServerFlowIds {
  private readonly clientSide = new Map<number, ClientSideId>();
  private readonly brokerToClient = new Map<number, number>();
  private nextOwn = MAX_PACKET_ID;

  /** The client-side id of a broker delivery: the broker's own id unless the proxy uses it. */
  forBroker(brokerId: number): number {
    const known = this.brokerToClient.get(brokerId);
    if (known !== undefined) return known;
    const id = this.clientSide.has(brokerId) ? this.freeId() : brokerId;
    this.clientSide.set(id, { owner: 'broker', brokerId });
    this.brokerToClient.set(brokerId, id);
    return id;
  }

  /** Whether the broker's id is in flight towards the client. */
  inFlight(brokerId: number): boolean {
    return this.brokerToClient.has(brokerId);
  }

  clientIdOf(brokerId: number): number | undefined {
    return this.brokerToClient.get(brokerId);
  }

  /** A client-side id for a PUBLISH of the proxy's own. */
  own(): number {
    const id = this.freeId();
    this.clientSide.set(id, { owner: 'proxy' });
    return id;
  }

  owner(clientId: number): ClientSideId | undefined {
    return this.clientSide.get(clientId);
  }

  release(clientId: number): void {
    const entry = this.clientSide.get(clientId);
    if (!entry) return;
    this.clientSide.delete(clientId);
    if (entry.owner === 'broker') this.brokerToClient.delete(entry.brokerId);
  }

  private freeId(): number {
    for (let tries = 0; tries < MAX_PACKET_ID; tries += 1) {
      const id = this.nextOwn;
      this.nextOwn = id === 1 ? MAX_PACKET_ID : id - 1;
      if (!this.clientSide.has(id)) return id;
    }
    throw new Error('all 65,535 packet ids towards the client are in flight');
  }
}

/** The defect applied to one client connection: feed it every packet in each direction, send what it returns. */
export class DefectSession {
  readonly stats: DefectStats = { deliveries: 0, hits: 0, samples: [] };
  protocolVersion: 3 | 4 | 5 = 4;
  private readonly every: number;
  private readonly first: number;
  private readonly delayMs: number;
  private eligible = 0;
  private readonly ids = new ServerFlowIds();
  /** Broker ids of QoS 2 deliveries the proxy PUBREC'd itself: their PUBREL is answered here. */
  private readonly selfAcked = new Set<number>();
  /** Client ids of QoS 2 publishes the proxy PUBREC'd itself and kept from the broker: their PUBREL is answered here. */
  private readonly answered = new Set<number>();
  /** Topic filters of the client's SUBSCRIBEs in flight, by packet id (to name them in samples). */
  private readonly subscribing = new Map<number, string[]>();
  private held: Emit | undefined;
  /** Packet ids of client PUBLISHes the never-ack defect swallowed. */
  private readonly swallowed = new Set<number>();

  constructor(readonly spec: DefectSpec) {
    ({ every: this.every, first: this.first, delayMs: this.delayMs } = resolved(spec));
  }

  /** A delivery is being held back (reorder): the caller releases it with takeHeld() after `holdMs` if no delivery follows. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  takeHeld(): Emit[] {
    const held = this.held;
    this.held = undefined;
    return held ? [held] : [];
  }

  fromClient(packet: Packet): Emit[] {
    switch (packet.cmd) {
      case 'connect':
        return [{ to: 'broker', packet: this.onConnect(packet) }];
      case 'subscribe':
        if (packet.messageId !== undefined)
          this.subscribing.set(
            packet.messageId,
            packet.subscriptions.map((s) => s.topic),
          );
        return [{ to: 'broker', packet }];
      case 'publish':
        return this.onClientPublish(packet);
      case 'pubrel':
        if (packet.messageId !== undefined && this.answered.delete(packet.messageId))
          return [{ to: 'client', packet: { cmd: 'pubcomp', messageId: packet.messageId } }];
        return [{ to: 'broker', packet }];
      case 'puback':
      case 'pubcomp': {
        const id = packet.messageId;
        const entry = id === undefined ? undefined : this.ids.owner(id);
        if (id === undefined || !entry) return [{ to: 'broker', packet }];
        this.ids.release(id);
        return entry.owner === 'proxy' ? [] : [{ to: 'broker', packet: withId(packet, entry.brokerId) }];
      }
      case 'pubrec': {
        const id = packet.messageId;
        const entry = id === undefined ? undefined : this.ids.owner(id);
        if (id === undefined || !entry) return [{ to: 'broker', packet }];
        if (entry.owner === 'proxy') return [{ to: 'client', packet: { cmd: 'pubrel', messageId: id } }];
        return [{ to: 'broker', packet: withId(packet, entry.brokerId) }];
      }
      default:
        return [{ to: 'broker', packet }];
    }
  }

  fromBroker(packet: Packet): Emit[] {
    if (packet.cmd === 'pubrel' && packet.messageId !== undefined) {
      if (this.selfAcked.delete(packet.messageId))
        return [{ to: 'broker', packet: { cmd: 'pubcomp', messageId: packet.messageId } }];
      const clientId = this.ids.clientIdOf(packet.messageId);
      return [{ to: 'client', packet: clientId === undefined ? packet : withId(packet, clientId) }];
    }
    if (packet.cmd === 'suback') return [{ to: 'client', packet: this.onSuback(packet) }];
    if ((packet.cmd === 'puback' || packet.cmd === 'pubrec') && this.spec.name === 'slow-ack') {
      this.eligible += 1;
      if (!this.selected()) return [{ to: 'client', packet }];
      this.note(`held back ${packet.cmd.toUpperCase()} (packet id ${packet.messageId ?? '?'}) for ${this.delayMs} ms`);
      return [{ to: 'client', packet, delayMs: this.delayMs }];
    }
    if (packet.cmd !== 'publish') return [{ to: 'client', packet }];
    if (packet.qos > 0 && packet.dup && packet.messageId !== undefined && this.ids.inFlight(packet.messageId)) {
      return [this.toClient(packet)]; // a retransmission of a delivery already under way
    }
    if (packet.topic.startsWith('$')) return [this.toClient(packet)];
    this.stats.deliveries += 1;
    if (this.held) {
      // reorder: the held delivery goes right after this one (which counts, but is never held itself).
      this.isHit(packet);
      return [this.toClient(packet), ...this.takeHeld()];
    }
    if (!this.isHit(packet)) return [this.toClient(packet)];
    return this.hit(packet);
  }

  /** never-ack: whether the proxy swallows this client PUBLISH unanswered (a swallowed one's retransmissions too). */
  private neverAcked(packet: IPublishPacket): boolean {
    if (packet.qos === 0 || packet.messageId === undefined) return false;
    if (packet.dup && this.swallowed.has(packet.messageId)) return true;
    this.eligible += 1;
    if (!this.selected()) return false;
    this.swallowed.add(packet.messageId);
    this.note(
      `swallowed QoS ${packet.qos} PUBLISH #${this.eligible} on ${packet.topic} (packet id ${packet.messageId})`,
    );
    return true;
  }

  private onConnect(packet: IConnectPacket): Packet {
    this.protocolVersion = packet.protocolVersion ?? 4;
    const clean = this.protocolVersion === 5 ? 'Clean Start' : 'Clean Session';
    if (this.spec.name === 'keep-clean-sessions' && packet.clean !== false && packet.clientId !== '') {
      this.eligible += 1;
      if (!this.selected()) return packet;
      this.note(`CONNECT of ${packet.clientId} with ${clean} 1 rewritten to ${clean} 0`);
      return { ...packet, clean: false };
    }
    if (this.spec.name !== 'forget-sessions' || packet.clean !== false) return packet;
    this.eligible += 1;
    if (!this.selected()) return packet;
    const rewritten: IConnectPacket = { ...packet, clean: true };
    if (packet.properties) {
      const { sessionExpiryInterval, ...rest } = packet.properties;
      rewritten.properties = rest;
      this.note(
        `CONNECT of ${packet.clientId} with ${clean} 0${sessionExpiryInterval !== undefined ? ` and Session Expiry ${sessionExpiryInterval} s` : ''} rewritten to a clean session`,
      );
    } else {
      this.note(`CONNECT of ${packet.clientId} with ${clean} 0 rewritten to ${clean} 1`);
    }
    return rewritten;
  }

  /**
   * A client's PUBLISH: never-ack swallows it unanswered; ignore-retained-delete answers an empty
   * retained one here and keeps it from the broker.
   */
  private onClientPublish(packet: IPublishPacket): Emit[] {
    if (this.spec.name === 'never-ack') return this.neverAcked(packet) ? [] : [{ to: 'broker', packet }];
    const isDelete = packet.retain && payloadOf(packet).length === 0;
    if (this.spec.name !== 'ignore-retained-delete' || !isDelete) return [{ to: 'broker', packet }];
    this.eligible += 1;
    if (!this.selected()) return [{ to: 'broker', packet }];
    this.note(`kept the QoS ${packet.qos} retained delete on ${packet.topic} from the broker`);
    if (packet.qos === 0 || packet.messageId === undefined) return [];
    if (packet.qos === 1) return [{ to: 'client', packet: { cmd: 'puback', messageId: packet.messageId } }];
    this.answered.add(packet.messageId);
    return [{ to: 'client', packet: { cmd: 'pubrec', messageId: packet.messageId } }];
  }

  /** wrong-grant: QoS 2 grants are reported to the client as QoS 1 (the broker's subscription stays at QoS 2). */
  private onSuback(packet: ISubackPacket): ISubackPacket {
    const filters = packet.messageId === undefined ? undefined : this.subscribing.get(packet.messageId);
    if (packet.messageId !== undefined) this.subscribing.delete(packet.messageId);
    if (this.spec.name !== 'wrong-grant') return packet;
    let changed = false;
    const granted = packet.granted.map((code, i) => {
      if (code !== 2) return code;
      this.eligible += 1;
      if (!this.selected()) return code;
      changed = true;
      this.note(`SUBACK grant of QoS 2 for ${filters?.[i] ?? `filter #${i + 1}`} rewritten to QoS 1`);
      return 1;
    });
    return changed ? { ...packet, granted } : packet;
  }

  private isHit(packet: IPublishPacket): boolean {
    if (!this.eligibleDelivery(packet)) return false;
    this.eligible += 1;
    return this.selected();
  }

  private eligibleDelivery(packet: IPublishPacket): boolean {
    switch (this.spec.name) {
      case 'wrong-qos-downgrade':
        return packet.qos > 0;
      case 'wrong-qos-upgrade':
        return packet.qos === 0;
      case 'drop-retained':
      case 'strip-retain':
        return packet.retain;
      case 'retain-live':
        return !packet.retain;
      case 'corrupt':
        return payloadOf(packet).length > 0;
      case 'drop':
      case 'duplicate':
      case 'reorder':
      case 'delay':
        return true;
      default:
        return false;
    }
  }

  private selected(): boolean {
    return this.eligible >= this.first && (this.eligible - this.first) % this.every === 0;
  }

  private hit(packet: IPublishPacket): Emit[] {
    const what = `QoS ${packet.qos}${packet.retain ? ' retained' : ''} delivery #${this.stats.deliveries} on ${packet.topic}`;
    switch (this.spec.name) {
      case 'drop':
      case 'drop-retained':
        this.note(`dropped ${what}`);
        return this.ackToBroker(packet);
      case 'wrong-qos-downgrade': {
        this.note(`downgraded ${what} to QoS 0`);
        const downgraded: IPublishPacket = { ...packet, qos: 0, dup: false };
        delete downgraded.messageId;
        return [...this.ackToBroker(packet), { to: 'client', packet: downgraded }];
      }
      case 'wrong-qos-upgrade':
        // The proxy's own packet id: the client's PUBACK for it never reaches the broker (fromClient).
        this.note(`upgraded ${what} to QoS 1`);
        return [{ to: 'client', packet: { ...packet, qos: 1, dup: false, messageId: this.ids.own() } }];
      case 'strip-retain':
        this.note(`cleared the RETAIN flag of ${what}`);
        return [this.toClient({ ...packet, retain: false })];
      case 'retain-live':
        this.note(`set the RETAIN flag on ${what}`);
        return [this.toClient({ ...packet, retain: true })];
      case 'duplicate': {
        this.note(`duplicated ${what}`);
        const copy: IPublishPacket = { ...packet, dup: false };
        if (packet.qos > 0) copy.messageId = this.ids.own();
        return [this.toClient(packet), { to: 'client', packet: copy }];
      }
      case 'reorder':
        this.note(`held back ${what} until after the next delivery`);
        this.held = this.toClient(packet);
        return [];
      case 'corrupt': {
        const payload = Buffer.from(payloadOf(packet));
        const at = Math.min(this.spec.byte ?? Math.floor(payload.length / 2), payload.length - 1);
        payload[at] = (payload[at] as number) ^ 0x01;
        this.note(`flipped a bit of byte ${at} of ${payload.length} in ${what}`);
        return [this.toClient({ ...packet, payload })];
      }
      case 'delay':
        this.note(`held back ${what} for ${this.delayMs} ms`);
        return [{ ...this.toClient(packet), delayMs: this.delayMs }];
      default:
        return [this.toClient(packet)];
    }
  }

  /** The broker's view: the client acknowledged the delivery (PUBACK, or PUBREC with the PUBREL answered later). */
  private ackToBroker(packet: IPublishPacket): Emit[] {
    if (packet.qos === 0 || packet.messageId === undefined) return [];
    if (packet.qos === 1) return [{ to: 'broker', packet: { cmd: 'puback', messageId: packet.messageId } }];
    this.selfAcked.add(packet.messageId);
    return [{ to: 'broker', packet: { cmd: 'pubrec', messageId: packet.messageId } }];
  }

  private toClient(packet: IPublishPacket): Emit {
    if (packet.qos === 0 || packet.messageId === undefined) return { to: 'client', packet };
    return { to: 'client', packet: withId(packet, this.ids.forBroker(packet.messageId)) };
  }

  private note(sample: string): void {
    this.stats.hits += 1;
    if (this.stats.samples.length < SAMPLE_LIMIT) this.stats.samples.push(sample);
  }
}

function withId<P extends Packet>(packet: P, messageId: number): P {
  return packet.messageId === messageId ? packet : { ...packet, messageId };
}

function payloadOf(packet: IPublishPacket): Buffer {
  return typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
}
