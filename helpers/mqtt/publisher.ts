import type { IClientPublishOptions } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Qos } from '../model/index.js';
import { createProbeMessage } from '../load/payload/index.js';
import type { SentLog } from './accounting.js';
import type { TestClient } from './client.js';

export interface NumberedPublishOptions {
  /** Topic of every message, or of each sequence. */
  topic: string | ((seq: number) => string);
  qos: Qos;
  count: number;
  /** First sequence. Default: the log's next (`log.attempted`). */
  firstSeq?: number;
  retain?: boolean;
  /** MQTT 5 publish properties. */
  properties?: IClientPublishOptions['properties'];
  /** Publishes awaiting confirmation at once. Default 8 (below every broker's receive maximum). */
  maxInFlight?: number;
  /** Messages per second on a uniform schedule; 0 (default): as fast as confirmations allow. */
  ratePerSec?: number;
  /** Give up when no publish was confirmed for this long (a dead connection). Default 10_000 ms. */
  stallTimeoutMs?: number;
  /** Called once per confirmed message. */
  onConfirmed?: (seq: number) => void;
}

export interface NumberedPublishOutcome {
  firstSeq: number;
  /** Sequences handed to the client. */
  attempted: number;
  confirmed: number;
  failed: number;
  /** True when publishing stopped early because confirmations stalled. */
  stalled: boolean;
  durationMs: number;
}

/**
 * Publishes `count` numbered probe messages (helpers/load/payload: identity + CRC, publisher id =
 * the log's id) and records each confirmation in `log`. In-flight publishes are bounded, and
 * mqtt.js never calls back when all packet ids are in use (mqtt.js #1372).
 */
export async function publishNumbered(
  publisher: TestClient,
  log: SentLog,
  options: NumberedPublishOptions,
): Promise<NumberedPublishOutcome> {
  const firstSeq = options.firstSeq ?? log.attempted;
  const maxInFlight = options.maxInFlight ?? 8;
  const rate = options.ratePerSec ?? 0;
  const stallMs = options.stallTimeoutMs ?? 10_000;
  const topic = options.topic;
  const topicOf = typeof topic === 'string' ? () => topic : topic;
  const publishOptions: IClientPublishOptions = {
    qos: options.qos,
    retain: options.retain ?? false,
    ...(options.properties ? { properties: options.properties } : {}),
  };
  const inFlight = new Set<Promise<void>>();
  let confirmed = 0;
  let failed = 0;
  let attempted = 0;
  let stalled = false;
  const started = performance.now();

  const settleOne = async (): Promise<boolean> => {
    const before = confirmed + failed;
    // The stall timer is cancelled as soon as a publish settles: one uncancelled 10 s timer per
    // in-flight wait would pile up by the thousand in a long stream and keep the worker alive.
    const stall = new AbortController();
    const stallTimer = sleep(stallMs, undefined, { signal: stall.signal }).catch(() => undefined);
    try {
      await Promise.race([Promise.race(inFlight), stallTimer]);
    } finally {
      stall.abort();
    }
    return confirmed + failed > before;
  };

  for (let i = 0; i < options.count; i++) {
    if (rate > 0) {
      // Pacing, not waiting for an event: the schedule decides when message i is due.
      const dueInMs = started + (i * 1000) / rate - performance.now();
      if (dueInMs >= 1) await sleep(dueInMs);
    }
    while (inFlight.size >= maxInFlight) {
      if (!(await settleOne())) {
        stalled = true;
        break;
      }
    }
    if (stalled) break;
    const seq = firstSeq + i;
    log.issue(seq);
    attempted += 1;
    const payload = createProbeMessage({ publisherId: log.publisherId, seq });
    const pending: Promise<void> = publisher
      .publish(topicOf(seq), payload, publishOptions)
      .then(
        () => {
          log.confirm(seq);
          confirmed += 1;
          options.onConfirmed?.(seq);
        },
        (error: unknown) => {
          log.fail(seq, error instanceof Error ? error.message : String(error));
          failed += 1;
        },
      )
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  while (inFlight.size > 0) {
    if (!(await settleOne())) {
      stalled = true;
      break;
    }
  }
  return { firstSeq, attempted, confirmed, failed, stalled, durationMs: performance.now() - started };
}
