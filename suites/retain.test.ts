/**
 * Retained messages, directly on each broker, over MQTT 3.1.1 and MQTT 5 (the forwarded path is
 * in retain-forwarder.test.ts).
 *
 * - A late subscriber gets the retained message with RETAIN=1; a subscription that already exists
 *   gets the publish live with RETAIN=0.
 * - A newer retained message replaces the older; an empty retained payload removes it and is not
 *   stored itself; a wildcard subscription gets every matching retained message.
 * - A retained message is delivered at min(its QoS, the subscription's QoS).
 * - MQTT 5 subscription options: Retain Handling 0/1/2 and Retain As Published.
 *
 * Flags and QoS are read from the PUBLISH packets received. Every payload is a numbered probe
 * message (identity + CRC, helpers/load/payload) and is integrity-checked. "Did not arrive" is
 * proven without sleeping: after the subscriptions under test, the subscriber subscribes to a
 * control topic with a retained message of its own, and once that arrived, every earlier
 * subscription's retained messages have arrived too (helpers/mqtt/retained.ts); a retained
 * delete is followed by a marker instead of waiting for its own live copy. So a broken broker
 * fails with what it did wrong ("arrived without its RETAIN flag", "was not deleted"), not with
 * a timeout. Every test removes the retained messages it created when it finishes, passed or failed.
 */
import {
  skipTest,
  mqtt5SkipReason,
  PROTOCOL_VERSIONS,
  QOS_LEVELS,
  describeEachTarget,
  runPlan,
  recordResult,
} from '../helpers/vitest/index.js';
import { describe, expect, test, type TestContext } from 'vitest';
import type { Qos, StartedBroker } from '../helpers/model/index.js';
import { createProbeMessage } from '../helpers/load/index.js';
import {
  clearRetainedOnFinish,
  connectTestClient,
  deleteRetained,
  describeMessage,
  MarkerSender,
  isMarkerOf,
  payloadProblems,
  protocolName,
  publishRetained,
  SentLog,
  subscribeWithControl,
  type ProtocolVersion,
  type ReceivedMessage,
  type RetainedControl,
  type TestClient,
} from '../helpers/mqtt/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { brokerSubject, testTopicPrefix } from '../helpers/testbed/index.js';

const plan = runPlan();
/** Upper bound for one expected delivery; every wait ends as soon as it arrived. */
const ARRIVAL_BUDGET_MS = 10_000;

/** Spec clauses per protocol level, for failure messages. */
const CLAUSES = {
  lateRetainFlag: { 4: '[MQTT-3.3.1-6], [MQTT-3.3.1-8]', 5: '§3.3.1.3, retain handling 0 [MQTT-3.3.1-9]' },
  liveRetainFlag: { 4: '[MQTT-3.3.1-9]', 5: 'Retain As Published 0 [MQTT-3.3.1-12]' },
  replace: { 4: '[MQTT-3.3.1-5]', 5: '[MQTT-3.3.1-5]' },
  delete: { 4: '[MQTT-3.3.1-10], [MQTT-3.3.1-11]', 5: '[MQTT-3.3.1-6], [MQTT-3.3.1-7]' },
  deliveredQos: { 4: '[MQTT-3.8.4-6]', 5: '§3.8.4, [MQTT-3.8.4-8]' },
} as const;

/** One test's broker, clients and retained state. */
interface RetainBench {
  broker: StartedBroker;
  version: ProtocolVersion;
  /** `mosquitto (container), MQTT 5`: how failure messages name the subject. */
  where: string;
  prefix: string;
  publisher: TestClient;
  log: SentLog;
  /** Subscribed to `<prefix>/#` before anything is published: sees every publish live. */
  watcher: TestClient;
  control: RetainedControl;
  markers: MarkerSender;
  /** Every client of the test whose received payloads are integrity-checked. */
  receivers: TestClient[];
  /** Publishes the next numbered probe message retained on `<prefix>/<sub>` and waits until the broker processed it. */
  retain(sub: string, qos?: Qos): Promise<Buffer>;
  /** Publishes a retained delete (empty payload) on `<prefix>/<sub>`, waits until the broker handled it, and returns the delete's live copy at the watcher, if any. */
  remove(sub: string): Promise<ReceivedMessage | undefined>;
  /** Connects a late subscriber (after the retained messages exist). */
  late(role?: string): Promise<TestClient>;
  topic(sub: string): string;
}

async function openBench(broker: StartedBroker, version: ProtocolVersion, label: string): Promise<RetainBench> {
  const prefix = testTopicPrefix(label);
  const topic = (sub: string) => `${prefix}/${sub}`;
  const created: string[] = [];
  // Registered before any client connects: finish hooks run last-registered first, so the clients
  // are closed before the cleaner removes every retained message this test created.
  clearRetainedOnFinish(broker, created);
  const receivers: TestClient[] = [];
  const watcher = await connectTestClient({ broker, role: 'watch', protocolVersion: version });
  await watcher.subscribe(`${prefix}/#`, { qos: 2 });
  receivers.push(watcher);
  const publisher = await connectTestClient({ broker, role: 'pub', protocolVersion: version });
  const log = new SentLog(publisher.clientId);
  const retain = async (sub: string, qos: Qos = 1): Promise<Buffer> => {
    const seq = log.attempted;
    log.issue(seq);
    const payload = createProbeMessage({ publisherId: log.publisherId, seq });
    created.push(topic(sub));
    await publishRetained(publisher, watcher.messages, {
      topic: topic(sub),
      payload,
      qos,
      timeoutMs: ARRIVAL_BUDGET_MS,
    });
    log.confirm(seq);
    return payload;
  };
  const controlPayload = await retain('ctl');
  const markers = new MarkerSender(publisher);
  return {
    broker,
    version,
    where: `${broker.label}, ${protocolName(version)}`,
    prefix,
    publisher,
    log,
    watcher,
    control: { topic: topic('ctl'), payload: controlPayload },
    markers,
    receivers,
    retain,
    remove: (sub) =>
      deleteRetained(publisher, markers, watcher.messages, { topic: topic(sub), timeoutMs: ARRIVAL_BUDGET_MS }),
    async late(role = 'late') {
      const client = await connectTestClient({ broker, role, protocolVersion: version });
      receivers.push(client);
      return client;
    },
    topic,
  };
}

/** Records the result (before any assertion), then checks every received payload's integrity. */
async function finish(
  ctx: TestContext,
  bench: RetainBench,
  scenario: string,
  result: Pick<TestbenchResult, 'observations' | 'expectations'>,
): Promise<void> {
  await recordResult(ctx, {
    suite: 'retain',
    scenario,
    subject: brokerSubject(bench.broker),
    protocolVersion: bench.version,
    ...result,
  });
  const problems = payloadProblems(
    bench.receivers.flatMap((r) => r.messages.messages),
    [bench.log],
  );
  expect(
    problems,
    `${bench.where}: ${problems.length} received payload(s) failed the integrity check:\n  ${problems.slice(0, 5).join('\n  ')}`,
  ).toEqual([]);
}

function on(client: TestClient, topic: string): ReceivedMessage[] {
  return client.messages.on(topic);
}

function list(messages: readonly ReceivedMessage[]): string {
  return messages.length === 0 ? 'nothing' : messages.map(describeMessage).join('; ');
}

describeEachTarget('retain: direct', {}, (broker, target) => {
  for (const version of PROTOCOL_VERSIONS) {
    describe(protocolName(version), () => {
      const skipUnlessSupported = (ctx: TestContext) => {
        const unsupported = version === 5 ? mqtt5SkipReason(plan, [target.name]) : undefined;
        if (unsupported) skipTest(ctx, 'capability', unsupported);
      };
      const { retainedDeliveryQos, retainedToWildcardSubscriptions, maxQos, qos2Publish } = target.behaviour;

      test('a late subscriber gets the retained message with retain=1, once', async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `retain-late-v${version}`);
        const payload = await bench.retain('state');
        const late = await bench.late();
        await subscribeWithControl(
          late,
          { [bench.topic('state')]: { qos: 1 } },
          bench.control,
          ARRIVAL_BUDGET_MS,
          (since) => since.some((m) => m.topic === bench.topic('state')),
        );
        const got = on(late, bench.topic('state'));
        await finish(ctx, bench, 'late subscriber gets the retained message', {
          observations: {
            deliveries: got.length,
            retainFlag: got[0]?.retain ?? null,
            deliveredQos: got[0]?.qos ?? null,
          },
          expectations: [`one delivery with retain=1 (${CLAUSES.lateRetainFlag[version]})`],
        });
        expect(
          got.length,
          `${bench.where}: a new subscription got ${got.length} copies of the retained message (${list(got)}), expected exactly 1 (${CLAUSES.lateRetainFlag[version]})`,
        ).toBe(1);
        const [message] = got as [ReceivedMessage];
        expect(
          message.payload.equals(payload),
          `${bench.where}: the retained message delivered to a new subscription is not the one published (${describeMessage(message)})`,
        ).toBe(true);
        expect(
          message.retain,
          `${bench.where}: the retained message arrived at a new subscription without its RETAIN flag (retain=0), expected retain=1 (${CLAUSES.lateRetainFlag[version]})`,
        ).toBe(true);
      });

      test('a subscription that already exists gets a retained publish live, with retain=0', async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `retain-live-v${version}`);
        const live = await bench.late('live');
        await live.subscribe(bench.topic('state'), { qos: 1 });
        const payload = await bench.retain('state');
        const message = await live.messages.waitForMessage(
          (m) => m.topic === bench.topic('state'),
          ARRIVAL_BUDGET_MS,
          'the live copy of the retained publish',
        );
        await finish(ctx, bench, 'live delivery of a retained publish', {
          observations: { retainFlag: message.retain, deliveredQos: message.qos },
          expectations: [`live delivery with retain=0 (${CLAUSES.liveRetainFlag[version]})`],
        });
        expect(
          message.payload.equals(payload),
          `${bench.where}: the live delivery is not the message published (${describeMessage(message)})`,
        ).toBe(true);
        expect(
          message.retain,
          `${bench.where}: a retained publish reached an existing subscription live with its RETAIN flag set (retain=1), expected retain=0 (${CLAUSES.liveRetainFlag[version]})`,
        ).toBe(false);
      });

      test('a newer retained message replaces the older one', async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `retain-replace-v${version}`);
        const older = await bench.retain('state');
        const newer = await bench.retain('state');
        const late = await bench.late();
        await subscribeWithControl(
          late,
          { [bench.topic('state')]: { qos: 1 } },
          bench.control,
          ARRIVAL_BUDGET_MS,
          (since) => since.some((m) => m.payload.equals(newer)),
        );
        const got = on(late, bench.topic('state'));
        await finish(ctx, bench, 'newer retained message replaces the older', {
          observations: {
            deliveries: got.length,
            gotNewer: got.some((m) => m.payload.equals(newer)),
            gotOlder: got.some((m) => m.payload.equals(older)),
          },
          expectations: [`only the newer retained message is kept (${CLAUSES.replace[version]})`],
        });
        expect(
          got.some((m) => m.payload.equals(older)),
          `${bench.where}: a new subscription still got the older retained message after a newer one replaced it (${list(got)}; ${CLAUSES.replace[version]})`,
        ).toBe(false);
        expect(
          got.length,
          `${bench.where}: a new subscription got ${list(got)}, expected exactly the newer retained message (${CLAUSES.replace[version]})`,
        ).toBe(1);
        expect(
          got[0]?.payload.equals(newer),
          `${bench.where}: the retained message is not the newer one (${list(got)})`,
        ).toBe(true);
      });

      test('an empty retained payload removes the retained message and is not stored itself', async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `retain-delete-v${version}`);
        await bench.retain('state');
        const liveDelete = await bench.remove('state');
        const late = await bench.late();
        await subscribeWithControl(late, { [bench.topic('state')]: { qos: 1 } }, bench.control, ARRIVAL_BUDGET_MS);
        const got = on(late, bench.topic('state'));
        await finish(ctx, bench, 'empty retained payload clears the retained message', {
          observations: { deliveriesAfterDelete: got.length, deleteDeliveredLive: liveDelete !== undefined },
          expectations: [
            `no retained message after the delete, and no empty one; the delete itself is delivered live (${CLAUSES.delete[version]})`,
          ],
        });
        expect(
          got.filter((m) => m.payload.length > 0),
          `${bench.where}: the retained message was not deleted: after an empty retained publish a new subscription still got ${list(got)} (${CLAUSES.delete[version]})`,
        ).toEqual([]);
        expect(
          got,
          `${bench.where}: the empty retained publish was stored itself: a new subscription got ${list(got)} (${CLAUSES.delete[version]})`,
        ).toEqual([]);
        expect(
          liveDelete,
          `${bench.where}: the empty retained publish was not delivered to the existing subscription; a delete is processed as a normal publish (${CLAUSES.delete[version]})`,
        ).toBeDefined();
      });

      test('a wildcard subscription gets every matching retained message, and only those', async (ctx) => {
        skipUnlessSupported(ctx);
        if (!retainedToWildcardSubscriptions.value)
          skipTest(
            ctx,
            'capability',
            `${target.name} declares: ${retainedToWildcardSubscriptions.says} (${retainedToWildcardSubscriptions.source})`,
          );
        const bench = await openBench(broker(), version, `retain-wild-v${version}`);
        const matching = ['w/a', 'w/b/c', 'w/d/e/f'];
        const payloads = new Map<string, Buffer>();
        for (const sub of matching) payloads.set(bench.topic(sub), await bench.retain(sub));
        await bench.retain('x/a'); // outside both filters
        const multi = await bench.late('multi');
        await subscribeWithControl(
          multi,
          { [bench.topic('w/#')]: { qos: 1 } },
          bench.control,
          ARRIVAL_BUDGET_MS,
          (since) => [...payloads.keys()].every((t) => since.some((m) => m.topic === t)),
        );
        const single = await bench.late('single');
        await subscribeWithControl(
          single,
          { [bench.topic('w/+')]: { qos: 1 } },
          bench.control,
          ARRIVAL_BUDGET_MS,
          (since) => since.some((m) => m.topic === bench.topic('w/a')),
        );
        const gotMulti = multi.messages.messages.filter((m) => m.topic !== bench.control.topic);
        const gotSingle = single.messages.messages.filter((m) => m.topic !== bench.control.topic);
        await finish(ctx, bench, 'wildcard subscription gets every matching retained message', {
          observations: { multiLevelDeliveries: gotMulti.length, singleLevelDeliveries: gotSingle.length },
          expectations: [
            `${bench.topic('w/#')} gets ${matching.length} retained messages, ${bench.topic('w/+')} gets 1`,
          ],
        });
        for (const [topic, payload] of payloads) {
          const copies = gotMulti.filter((m) => m.topic === topic);
          expect(
            copies.length,
            `${bench.where}: subscription ${bench.topic('w/#')} got ${copies.length} retained message(s) on ${topic}, expected 1 (got: ${list(gotMulti)})`,
          ).toBe(1);
          expect(
            copies[0]?.payload.equals(payload) && copies[0].retain,
            `${bench.where}: the retained message on ${topic} arrived changed or without its RETAIN flag (${list(copies)})`,
          ).toBe(true);
        }
        expect(
          gotMulti.length,
          `${bench.where}: subscription ${bench.topic('w/#')} got messages that do not match it or extra copies (${list(gotMulti)})`,
        ).toBe(matching.length);
        expect(
          gotSingle.map((m) => m.topic),
          `${bench.where}: subscription ${bench.topic('w/+')} (one level) got ${list(gotSingle)}, expected only ${bench.topic('w/a')}`,
        ).toEqual([bench.topic('w/a')]);
      });

      // The target's behaviour table says at which QoS a retained message goes to a new subscription
      // (the spec: min(retained, granted)); a declared deviation is named in the test and its result.
      const asRetained = retainedDeliveryQos.value === 'as retained';
      const deliveryQos = {
        rule: (retained: Qos, sub: Qos) => (asRetained ? retained : (Math.min(retained, sub, maxQos.value) as Qos)),
        expectation: asRetained
          ? `its stored QoS: ${target.name} declares a deviation from min(retained, granted) [MQTT-3.8.4-6]: ${retainedDeliveryQos.says}`
          : `min(retained, granted)${maxQos.value < 2 ? ` (${target.name} grants at most QoS ${maxQos.value})` : ''}`,
      };
      // Retained messages are published at every QoS the target accepts (a declared lack of QoS 2
      // publishes leaves QoS 2 out) and subscribed to with one wildcard filter, or by exact topics
      // where the target declares that wildcard subscriptions get no retained messages.
      const retainedLevels = QOS_LEVELS.filter((q) => q < 2 || qos2Publish.value);
      const retainedFilters = (subQos: Qos, topic: (sub: string) => string) =>
        retainedToWildcardSubscriptions.value
          ? { [topic('q/+')]: { qos: subQos } }
          : Object.fromEntries(retainedLevels.map((q) => [topic(`q/${q}`), { qos: subQos }]));
      test(`a retained message is delivered at ${deliveryQos.expectation}${retainedLevels.length < 3 ? ` (retained at QoS ${retainedLevels.join('/')}: ${target.name} declares no QoS 2 publish)` : ''}`, async (ctx) => {
        skipUnlessSupported(ctx);
        const bench = await openBench(broker(), version, `retain-qos-v${version}`);
        for (const qos of retainedLevels) await bench.retain(`q/${qos}`, qos);
        const observed: Record<string, number | null> = {};
        const wrong: string[] = [];
        // The three subscribers subscribe at the same time: a missing retained message costs one
        // arrival budget in all, not one per subscriber (three would outlast the test's timeout).
        const lates = await Promise.all(
          QOS_LEVELS.map(async (subQos) => {
            const late = await bench.late(`s${subQos}`);
            await subscribeWithControl(
              late,
              retainedFilters(subQos, (sub) => bench.topic(sub)),
              bench.control,
              ARRIVAL_BUDGET_MS,
              (since) => retainedLevels.every((q) => since.some((m) => m.topic === bench.topic(`q/${q}`))),
            );
            return late;
          }),
        );
        for (const [subQos, late] of QOS_LEVELS.map((q, i) => [q, lates[i] as TestClient] as const)) {
          for (const retainedQos of retainedLevels) {
            const got = on(late, bench.topic(`q/${retainedQos}`));
            const expected = deliveryQos.rule(retainedQos, subQos);
            observed[`retained${retainedQos}sub${subQos}`] = got[0]?.qos ?? null;
            if (got.length !== 1 || got[0]?.qos !== expected || !got[0].retain) {
              const flagless = got.some((m) => !m.retain) ? ' (arrived without its RETAIN flag)' : '';
              wrong.push(
                `retained QoS ${retainedQos} / sub QoS ${subQos}: ${got.length === 0 ? 'nothing delivered' : `delivered ${list(got)}${flagless}`}, expected one copy at QoS ${expected} = ${deliveryQos.expectation} with retain=1`,
              );
            }
          }
        }
        await finish(ctx, bench, 'retained message delivered at min(its QoS, sub QoS)', {
          observations: observed,
          expectations: [
            `delivered QoS = ${deliveryQos.expectation} (spec: min(retained, granted), ${CLAUSES.deliveredQos[version]}; ${retainedDeliveryQos.source})`,
          ],
        });
        expect(
          wrong,
          `${bench.where}: ${wrong.length} of ${retainedLevels.length * QOS_LEVELS.length} retained QoS / subscription QoS combinations wrong (expected ${deliveryQos.expectation}; spec ${CLAUSES.deliveredQos[version]}):\n  ${wrong.join('\n  ')}`,
        ).toEqual([]);
      });

      if (version === 5) {
        describe('subscription options', () => {
          test('retain handling 0 sends the retained message on every SUBSCRIBE, also for an existing subscription', async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'retain-rh0');
            await bench.retain('state');
            const sub = await bench.late();
            await sub.subscribe(bench.topic('state'), { qos: 1, rh: 0 });
            await subscribeWithControl(
              sub,
              { [bench.topic('state')]: { qos: 1, rh: 0 } },
              bench.control,
              ARRIVAL_BUDGET_MS,
              (since) => since.some((m) => m.topic === bench.topic('state')),
            );
            // Two SUBSCRIBE packets: each streams its retained message on its own, so wait for both copies (bounded).
            await sub.messages
              .waitFor(() => on(sub, bench.topic('state')).length >= 2, ARRIVAL_BUDGET_MS)
              .catch(() => undefined);
            const got = on(sub, bench.topic('state'));
            await finish(ctx, bench, 'retain handling 0', {
              observations: { deliveries: got.length },
              expectations: [
                'two SUBSCRIBEs with retain handling 0: the retained message twice, retain=1 ([MQTT-3.3.1-9])',
              ],
            });
            expect(
              got.length,
              `${bench.where}: two SUBSCRIBEs with retain handling 0 got ${got.length} retained copies (${list(got)}), expected 2 ([MQTT-3.3.1-9])`,
            ).toBe(2);
            expect(
              got.every((m) => m.retain),
              `${bench.where}: retained copies arrived without their RETAIN flag (${list(got)})`,
            ).toBe(true);
          });

          test('retain handling 1 sends the retained message only when the subscription is new', async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'retain-rh1');
            await bench.retain('state');
            const sub = await bench.late();
            await subscribeWithControl(
              sub,
              { [bench.topic('state')]: { qos: 1, rh: 1 } },
              bench.control,
              ARRIVAL_BUDGET_MS,
              (since) => since.some((m) => m.topic === bench.topic('state')),
            );
            const afterFirst = on(sub, bench.topic('state')).length;
            await subscribeWithControl(
              sub,
              { [bench.topic('state')]: { qos: 1, rh: 1 } },
              bench.control,
              ARRIVAL_BUDGET_MS,
            );
            const got = on(sub, bench.topic('state'));
            await finish(ctx, bench, 'retain handling 1', {
              observations: {
                deliveriesNewSubscription: afterFirst,
                deliveriesExistingSubscription: got.length - afterFirst,
              },
              expectations: [
                'retain handling 1: sent for a new subscription, not for an existing one ([MQTT-3.3.1-10])',
              ],
            });
            expect(
              afterFirst,
              `${bench.where}: a new subscription with retain handling 1 got ${afterFirst} retained copies, expected 1 ([MQTT-3.3.1-10])`,
            ).toBe(1);
            expect(
              got.length - afterFirst,
              `${bench.where}: re-subscribing with retain handling 1 to an existing subscription sent the retained message again (${list(got)}), expected nothing ([MQTT-3.3.1-10])`,
            ).toBe(0);
          });

          test('retain handling 2 sends no retained message, and the subscription still gets live messages', async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'retain-rh2');
            await bench.retain('state');
            const sub = await bench.late();
            await subscribeWithControl(
              sub,
              { [bench.topic('state')]: { qos: 1, rh: 2 } },
              bench.control,
              ARRIVAL_BUDGET_MS,
            );
            const retained = on(sub, bench.topic('state')).filter((m) => m.retain);
            // The subscription exists: a live message on the topic arrives (retain=0).
            const marker = await bench.markers.send(bench.topic('state'), 1);
            const live = await sub.messages.waitForMessage(
              (m) => isMarkerOf(marker, m),
              ARRIVAL_BUDGET_MS,
              'a live message on the subscribed topic',
            );
            const before = on(sub, bench.topic('state')).filter((m) => m !== live);
            await finish(ctx, bench, 'retain handling 2', {
              observations: { retainedDeliveries: retained.length, liveDelivered: true },
              expectations: ['retain handling 2: no retained message at SUBSCRIBE ([MQTT-3.3.1-11])'],
            });
            expect(
              before,
              `${bench.where}: a subscription with retain handling 2 got ${list(before)}, expected no retained message ([MQTT-3.3.1-11])`,
            ).toEqual([]);
          });

          test('retain as published 1 keeps the retain flag on live delivery; 0 clears it', async (ctx) => {
            skipUnlessSupported(ctx);
            const bench = await openBench(broker(), version, 'retain-rap');
            const asPublished = await bench.late('rap1');
            await asPublished.subscribe(bench.topic('state'), { qos: 1, rap: true });
            const cleared = await bench.late('rap0');
            await cleared.subscribe(bench.topic('state'), { qos: 1, rap: false });
            const payload = await bench.retain('state');
            const marker = await bench.markers.send(bench.topic('state'), 1);
            const kept = await asPublished.messages.waitForMessage(
              (m) => m.payload.equals(payload),
              ARRIVAL_BUDGET_MS,
              'the retained publish (live)',
            );
            const plain = await cleared.messages.waitForMessage(
              (m) => m.payload.equals(payload),
              ARRIVAL_BUDGET_MS,
              'the retained publish (live)',
            );
            const markerKept = await asPublished.messages.waitForMessage(
              (m) => isMarkerOf(marker, m),
              ARRIVAL_BUDGET_MS,
              'the non-retained publish (live)',
            );
            await finish(ctx, bench, 'retain as published', {
              observations: {
                rap1RetainedPublish: kept.retain,
                rap1PlainPublish: markerKept.retain,
                rap0RetainedPublish: plain.retain,
              },
              expectations: [
                'Retain As Published 1: retain flag as published ([MQTT-3.3.1-13]); 0: retain=0 ([MQTT-3.3.1-12])',
              ],
            });
            expect(
              kept.retain,
              `${bench.where}: with Retain As Published 1 a retained publish arrived live without its RETAIN flag (retain=0), expected 1 ([MQTT-3.3.1-13])`,
            ).toBe(true);
            expect(
              markerKept.retain,
              `${bench.where}: with Retain As Published 1 a non-retained publish arrived with its RETAIN flag set (retain=1), expected 0 ([MQTT-3.3.1-13])`,
            ).toBe(false);
            expect(
              plain.retain,
              `${bench.where}: with Retain As Published 0 a retained publish arrived live with its RETAIN flag set (retain=1), expected 0 ([MQTT-3.3.1-12])`,
            ).toBe(false);
          });
        });
      }
    });
  }
});
