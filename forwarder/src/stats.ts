// Counters: received, forwarded, dropped by reason, duplicates suppressed,
// reconnects per client; gauges (in flight, queued) are read on demand.
// Rendered as the "stats" log line and as Prometheus text.

export const DROP_REASONS = [
  /** QoS 0 message while the target queue held max_queued messages. */
  'queue_full',
  /** The rule's callback could not handle the payload. */
  'callback_error',
  /** A stored retained message re-sent by the broker on re-subscription (MQTT 3.1.1 sources). */
  'retained_replay',
  /** A retained message skipped by retain_handling "drop". */
  'retain_dropped',
  /** No enabled rule's filter matched (merged subscriptions can be wider than the rules). */
  'no_matching_rule',
  /** The mapped target topic would be empty (e.g. target "#" for a source "a/#" matching "a"). */
  'unmappable_topic',
  /** The target broker refused the publish (MQTT 5 reason code >= 0x80) or it failed locally. */
  'publish_rejected',
  /** A QoS 0 message whose socket write did not finish before the target connection dropped. */
  'connection_lost',
  /** A QoS 0 message received after shutdown began, or still queued when the drain timed out. */
  'shutdown',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export interface Gauges {
  /** QoS 1/2 source messages accepted and not yet acknowledged. */
  inflight_source: number;
  /** Publishes handed to target connections and not yet confirmed. */
  inflight_target: number;
  /** Messages waiting for a target connection or in-flight slot. */
  queued: number;
}

/** The counters as logged (snake_case, like the config) and exported. */
export interface StatsSnapshot extends Gauges {
  received: number;
  forwarded: number;
  dropped: Record<DropReason, number>;
  duplicates_suppressed: number;
  reconnects: Record<string, number>;
  uptime_s: number;
}

export class Stats {
  received = 0;
  forwarded = 0;
  duplicatesSuppressed = 0;
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >;
  private readonly reconnects = new Map<string, number>();
  private readonly startedAt = Date.now();

  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }

  reconnected(client: string): void {
    this.reconnects.set(client, (this.reconnects.get(client) ?? 0) + 1);
  }

  trackClient(client: string): void {
    if (!this.reconnects.has(client)) this.reconnects.set(client, 0);
  }

  snapshot(gauges: Gauges): StatsSnapshot {
    return {
      received: this.received,
      forwarded: this.forwarded,
      dropped: { ...this.dropped },
      duplicates_suppressed: this.duplicatesSuppressed,
      reconnects: Object.fromEntries(this.reconnects),
      ...gauges,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }
}

const METRIC_PREFIX = 'mqtt_forwarder_';

const label = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format (version 0.0.4). */
export function toPrometheus(s: StatsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${METRIC_PREFIX}${name} ${help}`, `# TYPE ${METRIC_PREFIX}${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${METRIC_PREFIX}${name}${labels} ${value}`);
  };
  metric('received_total', 'counter', 'Messages received from source brokers.', [['', s.received]]);
  metric('forwarded_total', 'counter', 'Publishes confirmed by target brokers (written, for QoS 0).', [
    ['', s.forwarded],
  ]);
  metric(
    'dropped_total',
    'counter',
    'Messages not forwarded, by reason.',
    Object.entries(s.dropped).map(([reason, n]) => [`{reason="${label(reason)}"}`, n]),
  );
  metric('duplicates_suppressed_total', 'counter', 'Redelivered messages not forwarded again.', [
    ['', s.duplicates_suppressed],
  ]);
  metric(
    'reconnects_total',
    'counter',
    'Reconnections per client.',
    Object.entries(s.reconnects).map(([client, n]) => [`{client="${label(client)}"}`, n]),
  );
  metric('inflight_source', 'gauge', 'QoS 1/2 source messages not yet acknowledged.', [['', s.inflight_source]]);
  metric('inflight_target', 'gauge', 'Publishes not yet confirmed by targets.', [['', s.inflight_target]]);
  metric('queued', 'gauge', 'Messages waiting for a target.', [['', s.queued]]);
  return `${lines.join('\n')}\n`;
}
