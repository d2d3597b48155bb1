/**
 * The misbehaviours of the faulty forwarder, as pure decisions per message (no I/O): what the
 * forwarder (main.ts) does with one message it received from its source broker. Each mode is one
 * small, deterministic defect; periodic ones count per topic (1-based: the `every`th message on a
 * topic, then every `every`th after it), so what a child run sees does not depend on timing or on
 * how topics interleave.
 *
 * | mode                      | what it does                                                                                                    |
 * | ------------------------- | --------------------------------------------------------------------------------------------------------------- |
 * | `none`                    | nothing: a correct forwarder (QoS preserved, RETAIN and retained deletes forwarded, QoS 1/2 acknowledged to the source only once the target confirmed them, persistent sessions) |
 * | `restart-loss`            | after a restart (its source session was resumed), the first `every` QoS 1/2 messages it had not been sent before (DUP=0) are acknowledged to the source and never forwarded: they are lost across the restart |
 * | `drop-retained`           | retained messages (retained deletes too) are acknowledged and never forwarded                                   |
 * | `strip-retain`            | retained messages (retained deletes too) are forwarded without their RETAIN flag                               |
 * | `ignore-retained-deletes` | retained deletes (an empty retained payload) are acknowledged and never forwarded                               |
 * | `downgrade-qos`           | QoS 1/2 messages are forwarded at QoS 0                                                                         |
 * | `upgrade-qos`             | QoS 0/1 messages are forwarded at QoS 2                                                                         |
 * | `drop`                    | every `every`th message on a topic is acknowledged and never forwarded                                          |
 * | `duplicate`               | every `every`th message on a topic is forwarded twice                                                           |
 * | `reorder`                 | every `every`th message on a topic is held back and forwarded right after the next one on that topic            |
 *
 * Retained and QoS modes hit every eligible message; `every` applies to the periodic modes and to
 * `restart-loss` (how many messages it loses).
 */
export const FAULTY_MODES = [
  'none',
  'restart-loss',
  'drop-retained',
  'strip-retain',
  'ignore-retained-deletes',
  'downgrade-qos',
  'upgrade-qos',
  'drop',
  'duplicate',
  'reorder',
] as const;
export type FaultyMode = (typeof FAULTY_MODES)[number];

export type Qos = 0 | 1 | 2;

/** Defaults chosen to break a gate of the ci profile: QoS 0 may lose 0.1 %, QoS 1 duplicate 1 %, nothing may be reordered. */
export const MODE_DEFAULTS: Readonly<Record<FaultyMode, { every: number; what: string }>> = {
  none: { every: 1, what: 'no defect: a correct forwarder' },
  'restart-loss': {
    every: 20,
    what: 'after a restart, the first {n} new QoS 1/2 messages are acknowledged to the source and never forwarded',
  },
  'drop-retained': { every: 1, what: 'retained messages (deletes too) are acknowledged and never forwarded' },
  'strip-retain': { every: 1, what: 'retained messages (deletes too) are forwarded without their RETAIN flag' },
  'ignore-retained-deletes': {
    every: 1,
    what: 'retained deletes (empty retained payloads) are acknowledged and never forwarded',
  },
  'downgrade-qos': { every: 1, what: 'QoS 1/2 messages are forwarded at QoS 0' },
  'upgrade-qos': { every: 1, what: 'QoS 0/1 messages are forwarded at QoS 2' },
  drop: { every: 50, what: 'every {n}th message on a topic is acknowledged and never forwarded' },
  duplicate: { every: 20, what: 'every {n}th message on a topic is forwarded twice' },
  reorder: { every: 10, what: 'every {n}th message on a topic is forwarded after the next one' },
};

export interface ModeSpec {
  mode: FaultyMode;
  /** Period of the periodic modes, or how many messages `restart-loss` loses; default MODE_DEFAULTS[mode].every. */
  every?: number;
}

/** e.g. `drop: every 50th message on a topic is acknowledged and never forwarded`. */
export function describeMode(spec: ModeSpec): string {
  const n = spec.every ?? MODE_DEFAULTS[spec.mode].every;
  return `${spec.mode}: ${MODE_DEFAULTS[spec.mode].what.replace('{n}th ', n === 1 ? '' : `${n}th `).replace('{n}', String(n))}`;
}

/** What the forwarder got from its source broker (flags read from the PUBLISH packet). */
export interface IncomingMessage {
  topic: string;
  qos: Qos;
  /** The RETAIN flag as published (the source subscription uses Retain As Published). */
  retain: boolean;
  /** DUP: the source broker sent it before (to this session, perhaps to the previous process). */
  dup: boolean;
  payloadBytes: number;
}

/** How a hit is counted in the forwarder's stats. */
export type HitKind = 'dropped' | 'duplicated' | 'held' | 'qosChanged' | 'retainStripped';

export type Decision =
  | { forward: false; hit: 'dropped' }
  | {
      forward: true;
      qos: Qos;
      retain: boolean;
      /** 2: published twice (`duplicate`). */
      copies: 1 | 2;
      /** Held back until the next message on its topic (`reorder`). */
      hold: boolean;
      hit?: HitKind;
    };

/** The mode applied to the messages of one forwarder process. */
export class Misbehaviour {
  readonly every: number;
  private readonly seenPerTopic = new Map<string, number>();
  private resumed = false;
  private restartLosses = 0;

  constructor(readonly spec: ModeSpec) {
    this.every = spec.every ?? MODE_DEFAULTS[spec.mode].every;
    if (!Number.isInteger(this.every) || this.every < 1)
      throw new RangeError(`--every must be a whole number >= 1, got ${this.every}`);
  }

  /** The source broker resumed this process's session (CONNACK session present on its first connection): a restart. */
  sessionResumed(): void {
    this.resumed = true;
  }

  decide(m: IncomingMessage): Decision {
    const keep = { forward: true, qos: m.qos, retain: m.retain, copies: 1, hold: false } as const;
    switch (this.spec.mode) {
      case 'none':
        return keep;
      case 'restart-loss':
        if (this.resumed && m.qos > 0 && !m.dup && this.restartLosses < this.every) {
          this.restartLosses += 1;
          return { forward: false, hit: 'dropped' };
        }
        return keep;
      case 'drop-retained':
        return m.retain ? { forward: false, hit: 'dropped' } : keep;
      case 'strip-retain':
        return m.retain ? { ...keep, retain: false, hit: 'retainStripped' } : keep;
      case 'ignore-retained-deletes':
        return m.retain && m.payloadBytes === 0 ? { forward: false, hit: 'dropped' } : keep;
      case 'downgrade-qos':
        return m.qos > 0 ? { ...keep, qos: 0, hit: 'qosChanged' } : keep;
      case 'upgrade-qos':
        return m.qos < 2 ? { ...keep, qos: 2, hit: 'qosChanged' } : keep;
      case 'drop':
        return this.nth(m.topic) ? { forward: false, hit: 'dropped' } : keep;
      case 'duplicate':
        return this.nth(m.topic) ? { ...keep, copies: 2, hit: 'duplicated' } : keep;
      case 'reorder':
        return this.nth(m.topic) ? { ...keep, hold: true, hit: 'held' } : keep;
    }
  }

  /** Counts the message on its topic; true when it is the `every`th (2·`every`th, ...). */
  private nth(topic: string): boolean {
    const seen = (this.seenPerTopic.get(topic) ?? 0) + 1;
    this.seenPerTopic.set(topic, seen);
    return seen % this.every === 0;
  }
}
