import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { phaseClock } from '../stats/phase-clock.js';
import type { BrokerEndpoint } from '../model/index.js';
import { describeConnectFailure, isDefinitiveRefusal } from '../security/client-options.js';
import { shortRunId } from './run-context.js';

const RETRY_PAUSE_MS = 100;

export interface ProbeOptions {
  /** Where the probe message is published (URL, credentials, CA). */
  publishTo: BrokerEndpoint;
  /** Where it is expected (differs from publishTo when probing through a forwarder). */
  subscribeTo: BrokerEndpoint;
  /** Topic to publish on; `topicFor` maps it to the topic expected on the subscribe side. */
  publishTopic: string;
  expectTopic?: string;
  /** Overall budget, connection attempts included. */
  timeoutMs: number;
  /**
   * Publish again every `republishMs` until a probe arrives (a forwarder may still be subscribing;
   * a broker under a busy start once never delivered an acknowledged probe, run
   * 20261206-235013-2b529f). Default DEFAULT_REPUBLISH_MS.
   */
  republishMs?: number;
  /** Give up early when this returns a reason (e.g. the component exited). */
  abortReason?: () => string | undefined;
}

/** How often a probe publishes again while no probe message has arrived. */
export const DEFAULT_REPUBLISH_MS = 2_000;

/**
 * Proves a path works end to end at the protocol level: connect both sides, subscribe, publish a
 * unique QoS 1 message, receive it. Connection refusals are retried until the deadline, because a
 * process that logged "running" may still be binding its socket on a slow machine; refused
 * credentials and an untrusted certificate end the probe at once (retrying cannot fix them).
 */
export function mqttProbe(options: ProbeOptions): Promise<{ elapsedMs: number }> {
  return phaseClock.time('readiness', () => probe(options));
}

async function probe(options: ProbeOptions): Promise<{ elapsedMs: number }> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const token = randomBytes(6).toString('hex');
  // When each step ended, for the message of a probe that ran out of time: a broker that took the
  // whole budget to accept a connection and one that lost an acknowledged message need different fixes.
  const timeline: string[] = [];
  const mark = (step: string) => timeline.push(`${step} at ${Date.now() - started} ms`);
  const subscriber = await connectWithRetry(
    options.subscribeTo,
    deadline,
    `mtb-probe-s-${shortRunId()}-${token}`,
    options.abortReason,
  );
  mark('connected');
  let publisher: MqttClient | undefined;
  try {
    const expectTopic = options.expectTopic ?? options.publishTopic;
    const received = new Promise<void>((resolve) => {
      subscriber.on('message', (topic, payload) => {
        if (topic === expectTopic && payload.toString().includes(token)) resolve();
      });
    });
    await beforeDeadline(subscriber.subscribeAsync(expectTopic, { qos: 1 }), deadline, () =>
      stalled(`no SUBACK for ${expectTopic}`, options.timeoutMs, timeline),
    );
    mark('subscribed');
    if (sameBroker(options.publishTo, options.subscribeTo)) publisher = subscriber;
    else {
      publisher = await connectWithRetry(
        options.publishTo,
        deadline,
        `mtb-probe-p-${shortRunId()}-${token}`,
        options.abortReason,
      );
      mark('publisher connected');
    }
    const timedOut = (attempts: number) =>
      stalled(
        `no probe message arrived on ${expectTopic} (${attempts} published, ${acknowledgedCount} acknowledged)`,
        options.timeoutMs,
        timeline,
      );
    const republishMs = options.republishMs ?? DEFAULT_REPUBLISH_MS;
    let attempt = 0;
    let acknowledgedCount = 0;
    for (;;) {
      attempt += 1;
      const sent = attempt;
      // Not awaited: a PUBACK that never comes (a broker that drops the publish, a stalled
      // connection) must not hold the probe past its deadline. Each PUBACK lands in the timeline;
      // a publish the client rejects ends the probe with that error.
      // A JSON array, so that forwarders whose callbacks only take JSON (EventCall) pass it on too.
      const acknowledged = publisher
        .publishAsync(options.publishTopic, JSON.stringify([{ name: 'mtb-probe', value: `${token}:${sent}` }]), {
          qos: 1,
        })
        .then(
          () => {
            acknowledgedCount += 1;
            mark(`PUBACK ${sent}`);
          },
          (error: unknown) => {
            throw new Error(`probe publish ${sent} on ${options.publishTopic} failed: ${String(error)}`, {
              cause: error,
            });
          },
        );
      // The losing wait is cancelled: a pending timer of up to the whole probe budget would keep the
      // process alive after its work is done (a `vitest run` or CLI run then exits up to 10 s late).
      const republish = new AbortController();
      const remaining = Math.max(0, deadline - Date.now());
      const outcome = await Promise.race([
        received.then(() => 'received' as const),
        acknowledged.then(() => new Promise<never>(() => {})),
        sleep(Math.min(republishMs, remaining), 'waiting' as const, { signal: republish.signal }),
      ]).finally(() => republish.abort());
      if (outcome === 'received') return { elapsedMs: Date.now() - started };
      const abort = options.abortReason?.();
      if (abort) throw new Error(abort);
      if (Date.now() >= deadline) throw timedOut(attempt);
    }
  } finally {
    await Promise.all([
      subscriber.endAsync(true),
      publisher && publisher !== subscriber ? publisher.endAsync(true) : undefined,
    ]);
  }
}

/** A probe step that did not finish in time, with when each earlier step ended. */
function stalled(what: string, timeoutMs: number, timeline: readonly string[]): Error {
  return new Error(`${what} within ${timeoutMs} ms (${timeline.length > 0 ? timeline.join(', ') : 'no step ended'})`);
}

/** `step`, or the error `onTimeout` gives once the deadline has passed (the timer is then cleared). */
async function beforeDeadline<T>(step: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([step, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function sameBroker(a: BrokerEndpoint, b: BrokerEndpoint): boolean {
  return a.url === b.url && JSON.stringify(a.clientOptions ?? {}) === JSON.stringify(b.clientOptions ?? {});
}

async function connectWithRetry(
  endpoint: BrokerEndpoint,
  deadline: number,
  clientId: string,
  abortReason?: () => string | undefined,
): Promise<MqttClient> {
  let lastError: unknown;
  // Each failed attempt and how long it took: a broker that refused at once and one that held
  // fresh connections without a CONNACK need different fixes (run 20261208-003759-0b3416).
  const attempts: string[] = [];
  while (Date.now() < deadline) {
    const abort = abortReason?.();
    if (abort) throw new Error(abort);
    const began = Date.now();
    try {
      return await mqtt.connectAsync(
        endpoint.url,
        {
          ...endpoint.clientOptions,
          clientId,
          reconnectPeriod: 0,
          connectTimeout: Math.max(500, Math.min(5_000, deadline - Date.now())),
          clean: true,
        },
        false,
      );
    } catch (error) {
      if (isDefinitiveRefusal(error)) throw new Error(describeConnectFailure(endpoint, error), { cause: error });
      lastError = error;
      attempts.push(`${error instanceof Error ? error.message : String(error)} after ${Date.now() - began} ms`);
      await pause(RETRY_PAUSE_MS);
    }
  }
  const tried = attempts.length > 1 ? ` (${attempts.length} attempts: ${attempts.join('; ')})` : '';
  throw new Error(`cannot connect: ${describeConnectFailure(endpoint, lastError)}${tried}`, { cause: lastError });
}

/** Pacing between attempts (not a readiness wait: the condition is re-checked after it). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
