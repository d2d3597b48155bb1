/**
 * Clean and persistent sessions, directly on each broker, over MQTT 3.1.1 and MQTT 5 (the
 * forwarder restart with a persistent session is in clean-session-forwarder.test.ts).
 *
 * - A persistent session (3.1.1: Clean Session 0; 5: Clean Start 0 with a Session Expiry
 *   Interval > 0) queues QoS 1 and QoS 2 messages while its client is offline; on reconnect the
 *   CONNACK says Session Present 1 and the messages arrive, in publish order, without subscribing
 *   again.
 * - Clean Session 1 / Clean Start 1 discards the session: Session Present 0, nothing queued arrives.
 * - QoS 0 while offline is the broker's choice (the spec allows both): each target documents it
 *   (`behaviour.queuesQos0WhileOffline`: Mosquitto no, EMQX yes, aedes no) and the test asserts
 *   that choice and records which variant it checked.
 * - MQTT 5: Session Expiry 0 ends the session at disconnect; a short expiry (1 s) ends it after
 *   the interval, found by reconnecting until Session Present flips (a bounded poll).
 *
 * Every payload is a numbered probe message (identity + CRC) and counted exactly: sent = confirmed
 * by the client, received = unique (publisher, sequence), duplicates and reordering apart. That a
 * message did NOT arrive is proven with a marker (helpers/mqtt/marker.ts), never with a sleep.
 * Sessions a test created are discarded when it finishes, passed or failed.
 */
import {
  skipTest,
  mqtt5SkipReason,
  PROTOCOL_VERSIONS,
  qos2PublishSkipReason,
  describeEachTarget,
  runPlan,
  recordResult,
} from '../helpers/vitest/index.js';
import { describe, expect, test, type TestContext } from 'vitest';
import type { Qos, StartedBroker } from '../helpers/model/index.js';
import { decodeMessage } from '../helpers/load/index.js';
import {
  connectTestClient,
  DeliveryTracker,
  describeMessage,
  discardSessionOnFinish,
  isMarker,
  isMarkerOf,
  MarkerSender,
  pollUntilSessionExpired,
  protocolName,
  publishNumbered,
  testClientId,
  type ProtocolVersion,
  type ReceivedMessage,
  type TestClient,
} from '../helpers/mqtt/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { brokerSubject, testTopicPrefix } from '../helpers/testbed/index.js';

const plan = runPlan();
/** Messages queued per test while the subscriber is offline. */
const QUEUED = plan.profile === 'full' ? 200 : 20;
/** Upper bound for the queued messages to arrive after reconnecting; the wait ends as soon as they did. */
const ARRIVAL_BUDGET_MS = 10_000;
/**
 * Tries of the QoS 0 offline window whose batch a departing connection took
 * (lostToDepartingConnection) before the test believes a loss.
 */
const QOS0_OFFLINE_ATTEMPTS = 3;
/** MQTT 5 Session Expiry Interval of a persistent session, seconds: outlives any test. */
const PERSISTENT_EXPIRY_SEC = 300;
/** The short expiry of the expiry test, seconds, and the bound on waiting for the session to go. */
const SHORT_EXPIRY_SEC = 1;
const EXPIRY_POLL_BUDGET_MS = 15_000;

/** Spec clauses per protocol level, for failure messages. */
const CLAUSES = {
  resume: { 4: '[MQTT-3.1.2-4], [MQTT-3.2.2-2]', 5: '[MQTT-3.1.2-5], [MQTT-3.2.2-3]' },
  queue: {
    4: '§3.1.2.4 (session state: QoS 1/2 messages pending for the client)',
    5: '§4.1 (session state: QoS 1/2 messages pending for the client)',
  },
  clean: { 4: '[MQTT-3.1.2-6], [MQTT-3.2.2-1]', 5: '[MQTT-3.1.2-4], [MQTT-3.2.2-2]' },
  order: '§4.6 [MQTT-4.6.0-5], [MQTT-4.6.0-6]',
  qos0: {
    4: '§3.1.2.4: QoS 0 messages for an offline session MAY be stored',
    5: '§4.1: QoS 0 messages for an offline session MAY be stored',
  },
} as const;

/** Connect options of a persistent session at this protocol level. */
function persistent(
  version: ProtocolVersion,
  sessionExpirySec = PERSISTENT_EXPIRY_SEC,
): { clean: false; sessionExpirySec?: number } {
  return version === 5 ? { clean: false, sessionExpirySec } : { clean: false };
}

interface SessionBench {
  broker: StartedBroker;
  version: ProtocolVersion;
  where: string;
  prefix: string;
  /** Client id of the session under test; its session is discarded when the test finishes. */
  clientId: string;
  publisher: TestClient;
  tracker: DeliveryTracker;
  markers: MarkerSender;
  /** Connects the session's client (same id) with these options; its messages go to the tracker (markers apart). */
  connect(options: { clean: boolean; sessionExpirySec?: number }): Promise<TestClient>;
  /** Publishes `count` numbered messages on `topic`, all of which the client must confirm. */
  publish(topic: string, qos: Qos, count: number): Promise<void>;
}

async function openBench(broker: StartedBroker, version: ProtocolVersion, label: string): Promise<SessionBench> {
  const clientId = testClientId('ses');
  // Registered before any client connects: finish hooks run last-registered first, so the clients
  // are closed before the session is discarded.
  discardSessionOnFinish(broker, clientId, version);
  const tracker = new DeliveryTracker();
  const publisher = await connectTestClient({ broker, role: 'pub', protocolVersion: version });
  const log = tracker.sender(publisher.clientId);
  const where = `${broker.label}, ${protocolName(version)}`;
  return {
    broker,
    version,
    where,
    prefix: testTopicPrefix(label),
    clientId,
    publisher,
    tracker,
    markers: new MarkerSender(publisher),
    async connect(options) {
      const client = await connectTestClient({ broker, role: 'ses', clientId, protocolVersion: version, ...options });
      tracker.follow(client.messages, (m) => !isMarker(m));
      return client;
    },
    async publish(topic, qos, count) {
      const outcome = await publishNumbered(publisher, log, { topic, qos, count });
      expect(
        outcome.confirmed,
        `${where}: only ${outcome.confirmed} of ${count} QoS ${qos} publishes on ${topic} were confirmed (${tracker.summary()})`,
      ).toBe(count);
    },
  };
}

/** Waits for a marker, then returns what arrived on `topic` before it (markers apart). */
async function untilMarker(
  client: TestClient,
  marker: { topic: string },
  sent: Awaited<ReturnType<MarkerSender['send']>>,
): Promise<ReceivedMessage[]> {
  await client.messages.waitForMessage(
    (m) => isMarkerOf(sent, m),
    ARRIVAL_BUDGET_MS,
    `the marker published on ${marker.topic} after the messages that must not arrive`,
  );
  return client.messages.on(marker.topic).filter((m) => !isMarker(m));
}

async function record(
  ctx: TestContext,
  bench: SessionBench,
  scenario: string,
  qos: Qos | undefined,
  result: Pick<TestbenchResult, 'observations' | 'expectations' | 'variant'>,
): Promise<void> {
  await recordResult(ctx, {
    suite: 'clean-session',
    scenario,
    subject: brokerSubject(bench.broker),
    protocolVersion: bench.version,
    ...(qos === undefined ? {} : { qos }),
    counters: bench.tracker.counters(),
    ...result,
  });
}

function expectIntact(bench: SessionBench): void {
  const c = bench.tracker.counters();
  expect(
    c.corrupted,
    `${bench.where}: ${c.corrupted} message(s) failed the integrity check (${bench.tracker.summary()})`,
  ).toBe(0);
  expect(
    bench.tracker.unexpected(),
    `${bench.where}: received valid messages this test never published (${bench.tracker.summary()})`,
  ).toBe(0);
}

function list(messages: readonly ReceivedMessage[]): string {
  return messages.length === 0
    ? 'nothing'
    : `${messages.length}: ${messages.slice(0, 5).map(describeMessage).join('; ')}${messages.length > 5 ? '; ...' : ''}`;
}

describeEachTarget('clean session: direct', {}, (broker, target) => {
  for (const version of PROTOCOL_VERSIONS) {
    describe(protocolName(version), () => {
      const skipUnlessSupported = (ctx: TestContext) => {
        const unsupported = version === 5 ? mqtt5SkipReason(plan, [target.name]) : undefined;
        if (unsupported) skipTest(ctx, 'capability', unsupported);
      };
      const session = version === 5 ? `Clean Start 0, Session Expiry ${PERSISTENT_EXPIRY_SEC} s` : 'Clean Session 0';

      for (const qos of [1, 2] as const) {
        test(`a persistent session (${session}) queues QoS ${qos} messages while offline; reconnecting gives sessionPresent=1 and all of them, in order`, async (ctx) => {
          skipUnlessSupported(ctx);
          const deviation = qos === 2 ? qos2PublishSkipReason(plan, target.name) : undefined;
          if (deviation) skipTest(ctx, 'capability', deviation);
          const bench = await openBench(broker(), version, `ses-q${qos}-v${version}`);
          const topic = `${bench.prefix}/queued`;
          const first = await bench.connect(persistent(version));
          const [grant] = await first.subscribe(topic, { qos });
          await first.close();
          await bench.publish(topic, qos, QUEUED);
          const resumed = await bench.connect(persistent(version));
          // Without a session there is no subscription either: nothing queued can arrive, so the
          // test does not wait for it (the sessionPresent assertion below says what is wrong).
          const waitError = resumed.sessionPresent
            ? await resumed.messages
                .waitFor(() => bench.tracker.allConfirmedReceived(), ARRIVAL_BUDGET_MS, `the ${QUEUED} queued messages`)
                .then(
                  () => undefined,
                  (error: unknown) => (error instanceof Error ? error.message : String(error)),
                )
            : 'not waited for: the broker reported no session';
          const delivered = resumed.messages.on(topic);
          const firstSeen = firstDeliveryOrder(delivered);
          const c = bench.tracker.counters();
          await record(ctx, bench, `persistent session queues QoS ${qos}`, qos, {
            observations: {
              sessionPresentOnReconnect: resumed.sessionPresent,
              delivered: c.received,
              duplicates: c.duplicates,
              reordered: c.reordered,
              deliveredQos: delivered[0]?.qos ?? null,
            },
            expectations: [
              `sessionPresent=1 (${CLAUSES.resume[version]})`,
              `all ${QUEUED} QoS ${qos} messages delivered in order (${CLAUSES.queue[version]}, ${CLAUSES.order})`,
            ],
          });
          expect(grant?.qos, `${bench.where}: SUBACK granted QoS ${grant?.qos} for a QoS ${qos} subscription`).toBe(
            qos,
          );
          expect(
            first.sessionPresent,
            `${bench.where}: the first connection of a new client id reported sessionPresent=1`,
          ).toBe(false);
          expect(
            resumed.sessionPresent,
            `${bench.where}: reconnecting to a persistent session (${session}) reported sessionPresent=0, expected 1 (${CLAUSES.resume[version]})`,
          ).toBe(true);
          expectIntact(bench);
          expect(
            c.lost,
            `${bench.where}: ${c.lost} of ${c.sent} QoS ${qos} messages queued for the offline persistent session never arrived after reconnecting (${bench.tracker.summary()}${waitError ? `; ${waitError}` : ''})`,
          ).toBe(0);
          if (qos === 2)
            expect(
              c.duplicates,
              `${bench.where}: ${c.duplicates} duplicate(s) among the queued QoS 2 messages, but QoS 2 delivers exactly once (${bench.tracker.summary()})`,
            ).toBe(0);
          expect(
            isAscending(firstSeen),
            `${bench.where}: the queued messages arrived out of publish order (${firstSeen.slice(0, 20).join(', ')}${firstSeen.length > 20 ? ', ...' : ''}; ${CLAUSES.order})`,
          ).toBe(true);
          expect(
            delivered.filter((m) => m.qos !== qos).length,
            `${bench.where}: queued messages arrived at QoS ${[...new Set(delivered.map((m) => m.qos))].join('/')}, expected ${qos} = min(pub, sub)`,
          ).toBe(0);
        });
      }

      test(`a clean session (${version === 5 ? 'Clean Start 1' : 'Clean Session 1'}) discards the queued messages and reports sessionPresent=0`, async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `ses-clean-v${version}`);
        const topic = `${bench.prefix}/queued`;
        const first = await bench.connect(persistent(version));
        await first.subscribe(topic, { qos: 1 });
        await first.close();
        await bench.publish(topic, 1, QUEUED);
        const fresh = await bench.connect({ clean: true });
        // A resumed session would deliver its queue right after CONNACK; the new subscription and a
        // marker from the same publisher on the same topic and QoS come after it (marker.ts).
        await fresh.subscribe(topic, { qos: 1 });
        const marker = await bench.markers.send(topic, 1);
        const before = await untilMarker(fresh, { topic }, marker);
        await record(ctx, bench, 'clean session discards queued messages', 1, {
          observations: { sessionPresent: fresh.sessionPresent, queuedDelivered: before.length },
          expectations: [`sessionPresent=0 and no queued message (${CLAUSES.clean[version]})`],
        });
        expect(
          fresh.sessionPresent,
          `${bench.where}: the old session was not discarded: connecting with ${version === 5 ? 'Clean Start 1' : 'Clean Session 1'} reported sessionPresent=1, expected 0 (${CLAUSES.clean[version]})`,
        ).toBe(false);
        expectIntact(bench);
        expect(
          before,
          `${bench.where}: the old session was not discarded: a clean session received ${list(before)} queued for it; expected none (${CLAUSES.clean[version]})`,
        ).toEqual([]);
      });

      const queuesQos0 = target.behaviour.queuesQos0WhileOffline.value;
      const qos0Choice = `${target.name} documents: QoS 0 ${queuesQos0 ? 'is' : 'is not'} queued for an offline session`;
      test(`QoS 0 published while the persistent session is offline is ${queuesQos0 ? 'delivered on reconnect' : 'not delivered'} (${qos0Choice})`, async (ctx) => {
        skipUnlessSupported(ctx);
        const tries: string[] = [];
        for (let attempt = 1; ; attempt++) {
          const bench = await openBench(broker(), version, `ses-q0-v${version}-${attempt}`);
          const qos0Topic = `${bench.prefix}/q0`;
          const witnessTopic = `${bench.prefix}/q1`;
          const first = await bench.connect(persistent(version));
          // Subscribed at QoS 1: QoS 0 messages are delivered at QoS 0, and a QoS 1 witness proves the session queues at all.
          await first.subscribe(`${bench.prefix}/+`, { qos: 1 });
          await first.close();
          const firstSeq = bench.tracker.counters().attempted;
          await bench.publish(qos0Topic, 0, QUEUED);
          // The QoS 1 witness is PUBACKed only after the broker read the QoS 0 publishes before it on this connection.
          await bench.publish(witnessTopic, 1, 1);
          const resumed = await bench.connect(persistent(version));
          const variant = queuesQos0 ? 'qos0-queued' : 'qos0-not-queued';
          const expectations = [qos0Choice, CLAUSES.qos0[version]];
          if (!resumed.sessionPresent) {
            // No session, so no witness will come: fail now, saying why, instead of after the arrival budget.
            await record(ctx, bench, 'QoS 0 while offline', 0, {
              variant,
              observations: { sessionPresent: false, attempts: attempt },
              expectations,
            });
            expect.fail(
              `${bench.where}: reconnecting to the persistent session reported sessionPresent=0, so this test cannot tell whether QoS 0 is queued (${CLAUSES.resume[version]})`,
            );
          }
          await resumed.messages.waitForMessage(
            (m) => m.topic === witnessTopic,
            ARRIVAL_BUDGET_MS,
            'the QoS 1 message queued with the QoS 0 ones',
          );
          // A QoS 0 marker on the QoS 0 topic, published after reconnecting: queued QoS 0 messages
          // (same publisher, topic and QoS) are delivered before it (marker.ts).
          const marker = await bench.markers.send(qos0Topic, 0);
          const qos0 = await untilMarker(resumed, { topic: qos0Topic }, marker);
          const delivered = firstDeliveryOrder(qos0);
          const unique = delivered.length;
          if (
            queuesQos0 &&
            attempt < QOS0_OFFLINE_ATTEMPTS &&
            lostToDepartingConnection(bench, delivered, firstSeq, QUEUED)
          ) {
            tries.push(`try ${attempt}: the first ${QUEUED - unique} of ${QUEUED} lost`);
            continue;
          }
          await record(ctx, bench, 'QoS 0 while offline', 0, {
            variant,
            observations: {
              sessionPresent: resumed.sessionPresent,
              qos0Published: QUEUED,
              qos0Delivered: unique,
              qos0Queued: unique > 0,
              attempts: attempt,
              ...(tries.length > 0 ? { earlierAttempts: tries.join('; ') } : {}),
            },
            expectations,
          });
          expect(
            resumed.sessionPresent,
            `${bench.where}: reconnecting to the persistent session reported sessionPresent=0, so this test cannot tell whether QoS 0 is queued (${CLAUSES.resume[version]})`,
          ).toBe(true);
          expectIntact(bench);
          const earlier =
            tries.length > 0 ? ` (in every one of ${attempt} tries, each on a fresh session: ${tries.join('; ')})` : '';
          if (queuesQos0) {
            expect(
              unique,
              `${bench.where}: ${unique} of ${QUEUED} QoS 0 messages published while offline arrived on reconnect, but ${qos0Choice}${earlier}`,
            ).toBe(QUEUED);
            expect(
              isAscending(delivered),
              `${bench.where}: the queued QoS 0 messages arrived out of publish order (${CLAUSES.order})`,
            ).toBe(true);
          } else {
            expect(
              qos0,
              `${bench.where}: QoS 0 messages published while offline arrived on reconnect (${list(qos0)}), but ${qos0Choice}`,
            ).toEqual([]);
          }
          return;
        }
      });

      if (version === 5) {
        describe('session expiry', () => {
          test('Session Expiry 0 ends the session at disconnect: sessionPresent=0 and nothing queued is delivered', async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'ses-exp0');
            const topic = `${bench.prefix}/queued`;
            const first = await bench.connect({ clean: false, sessionExpirySec: 0 });
            await first.subscribe(topic, { qos: 1 });
            await first.close();
            await bench.publish(topic, 1, QUEUED);
            const again = await bench.connect(persistent(version));
            await again.subscribe(topic, { qos: 1 });
            const marker = await bench.markers.send(topic, 1);
            const before = await untilMarker(again, { topic }, marker);
            await record(ctx, bench, 'session expiry 0', 1, {
              observations: { sessionPresent: again.sessionPresent, queuedDelivered: before.length },
              expectations: [
                'Session Expiry 0: the session ends when the connection closes ([MQTT-3.1.2-23]); reconnect: sessionPresent=0, nothing queued',
              ],
            });
            expect(
              again.sessionPresent,
              `${bench.where}: a session created with Session Expiry 0 was still there after disconnecting (sessionPresent=1); it must end with the connection ([MQTT-3.1.2-23])`,
            ).toBe(false);
            expectIntact(bench);
            expect(
              before,
              `${bench.where}: messages published after a Session Expiry 0 session ended were delivered on reconnect (${list(before)})`,
            ).toEqual([]);
          });

          test(`a session with a short expiry (${SHORT_EXPIRY_SEC} s) is kept for it, then gone: sessionPresent flips to 0 and its queue is discarded`, async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'ses-expiry');
            const topic = `${bench.prefix}/queued`;
            const first = await bench.connect({ clean: false, sessionExpirySec: SHORT_EXPIRY_SEC });
            await first.subscribe(topic, { qos: 1 });
            await first.close();
            // Each time the poll finds the session, one message is queued for it while it is offline again.
            let queuedForSession = 0;
            const poll = await pollUntilSessionExpired({
              broker: bench.broker,
              clientId: bench.clientId,
              sessionExpirySec: SHORT_EXPIRY_SEC,
              timeoutMs: EXPIRY_POLL_BUDGET_MS,
              onResumed: async (client) => {
                bench.tracker.follow(client.messages, (m) => !isMarker(m));
                if (queuedForSession === 0) return;
                // The message queued while it was offline arrives on the resumed session.
                await client.messages.waitFor(
                  () => bench.tracker.unique() >= queuedForSession,
                  ARRIVAL_BUDGET_MS,
                  'the message queued for the resumed session',
                );
              },
              afterResumedDisconnect: async () => {
                await bench.publish(topic, 1, 1);
                queuedForSession += 1;
              },
            });
            const gone = poll.gone;
            let after: ReceivedMessage[] = [];
            if (gone) {
              bench.tracker.follow(gone.messages, (m) => !isMarker(m));
              await gone.subscribe(topic, { qos: 1 });
              const marker = await bench.markers.send(topic, 1);
              after = await untilMarker(gone, { topic }, marker);
              await gone.close();
            }
            const attempts = poll.attempts.map(
              (a) => `${a.offlineMs} ms offline: sessionPresent=${Number(a.sessionPresent)}`,
            );
            await record(ctx, bench, 'short session expiry', 1, {
              observations: {
                attempts: poll.attempts.length,
                expiredAfterOfflineMs: gone ? (poll.attempts.at(-1)?.offlineMs ?? null) : null,
                keptWhileOfflineMs: Math.max(
                  0,
                  ...poll.attempts.filter((a) => a.sessionPresent).map((a) => a.offlineMs),
                ),
                queuedAtExpiry: after.length,
              },
              expectations: [
                `Session Expiry ${SHORT_EXPIRY_SEC} s: kept while offline shorter than that, gone after it ([MQTT-3.1.2-23])`,
              ],
            });
            const early = poll.attempts.filter((a) => !a.sessionPresent && a.offlineMs < SHORT_EXPIRY_SEC * 1000);
            expect(
              early.map((a) => a.offlineMs),
              `${bench.where}: the session was gone after ${early[0]?.offlineMs} ms offline, before its ${SHORT_EXPIRY_SEC} s expiry (attempts: ${attempts.join('; ')})`,
            ).toEqual([]);
            expect(
              poll.attempts[0]?.sessionPresent,
              `${bench.where}: the first reconnect (${poll.attempts[0]?.offlineMs} ms offline) found no session, so the session with a ${SHORT_EXPIRY_SEC} s expiry was not kept at all`,
            ).toBe(true);
            expect(
              gone,
              `${bench.where}: the session with a ${SHORT_EXPIRY_SEC} s expiry was still there after ${EXPIRY_POLL_BUDGET_MS} ms of reconnect attempts (${attempts.join('; ')}) ([MQTT-3.1.2-23])`,
            ).toBeDefined();
            expectIntact(bench);
            expect(
              after,
              `${bench.where}: after the session expired, the new session received the message queued for the expired one (${list(after)})`,
            ).toEqual([]);
          });
        });
      }
    });
  }
});

/** Sequences in the order they first arrived (redeliveries ignored; every payload decoded and checked). */
function firstDeliveryOrder(messages: readonly ReceivedMessage[]): number[] {
  const seen = new Set<string>();
  const order: number[] = [];
  for (const m of messages) {
    const decoded = decodeMessage(m.payload);
    if (decoded.kind !== 'ok') continue; // counted as corrupted by the tracker
    const key = `${decoded.publisherId}#${decoded.seq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    order.push(decoded.seq);
  }
  return order;
}

/**
 * Whether the session's departing connection took the first messages of the QoS 0 batch: the
 * messages that arrived are exactly the last ones of the batch, in order, none twice or corrupted.
 * RabbitMQ 3.10 goes on handing a persistent session's messages to its connection for a moment
 * after that connection closed (the consumer is detached asynchronously); QoS 0 messages handed
 * over then are lost, always from the head of the batch (run 20261207-174332-0fb39d: 0 of 20, once
 * in about 40 runs; a loop publishing right after the close, 2026-12-07: 25 of 150 tries lost a
 * head of the batch, and none of 300 lost any other shape). Such a try did not publish while
 * offline: the test tries
 * again on a fresh session, records every try, and a broker that loses the batch in every try
 * fails. Any other loss (a gap, the tail, a reordering) fails at once.
 */
function lostToDepartingConnection(
  bench: SessionBench,
  delivered: readonly number[],
  firstSeq: number,
  count: number,
): boolean {
  const c = bench.tracker.counters();
  if (c.duplicates > 0 || c.corrupted > 0 || bench.tracker.unexpected() > 0) return false;
  const k = delivered.length;
  return k < count && delivered.every((seq, i) => seq === firstSeq + count - k + i);
}

function isAscending(values: readonly number[]): boolean {
  return values.every((v, i) => i === 0 || v > (values[i - 1] as number));
}
