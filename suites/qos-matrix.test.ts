/**
 * QoS matrix: publish QoS 0..2 × subscribe QoS 0..2, over MQTT 3.1.1 and MQTT 5, directly on
 * each broker and through each forwarder (downstream broker -> forwarder -> upstream broker).
 *
 * - The delivered QoS, retain and dup flags are read from the PUBLISH packets the subscriber got,
 *   never from what it asked for.
 * - Directly, the delivered QoS is min(pub, sub) ([MQTT-3.8.4-6] in 3.1.1, [MQTT-3.8.4-8] in 5).
 *   Through a forwarder it is what the forwarder's declared QoS policy makes of the published QoS,
 *   then min(., sub); every test name says which expectation it used.
 * - Delivery follows the weakest QoS on the path: QoS 2 exactly once, QoS 1 at least once
 *   (duplicates counted, allowed), QoS 0 at most once (loss counted; none is expected on loopback
 *   at these rates, so loss fails the cell too).
 * - Every payload carries publisher id, sequence and CRC (helpers/load/payload): each received
 *   message is integrity-checked and counted by unique (publisher, sequence).
 * - Each cell attaches a `qosCell` result; the reporter builds the 3x3 grid per target and path.
 */
import { skipTest } from '../helpers/vitest/skip.js';
import { describe, expect, test, type TestContext } from 'vitest';
import { describeQosPolicy, expectedForwardedQos, type Qos } from '../helpers/forwarders/forwarder.js';
import {
  connectTestClient,
  DeliveryTracker,
  protocolName,
  publishNumbered,
  type ProtocolVersion,
} from '../helpers/mqtt/index.js';
import {
  declarationOf,
  guaranteeOf,
  mqtt5SkipReason,
  PROTOCOL_VERSIONS,
  QOS_LEVELS,
} from '../helpers/mqtt/suite-support.js';
import type { ResultSubject } from '../helpers/report/result.js';
import { brokerSubject, topologySubject } from '../helpers/testbed/subject.js';
import type { BrokerEndpoint } from '../helpers/testbed/types.js';
import { testTopicPrefix } from '../helpers/testbed/topics.js';
import { describeEachTarget } from '../helpers/vitest/describe-target.js';
import { describeEachTopology } from '../helpers/vitest/describe-topology.js';
import { runPlan } from '../helpers/vitest/plan.js';
import { recordResult } from '../helpers/vitest/record-result.js';

const plan = runPlan();
/** Messages per cell: enough to see loss and duplicates, few enough for 36 cells per target in seconds. */
const MESSAGES_PER_CELL = plan.profile === 'full' ? 500 : 30;
/** Upper bound for a cell's messages to arrive; the wait ends as soon as they did. */
const ARRIVAL_BUDGET_MS = plan.profile === 'full' ? 30_000 : 10_000;

interface Cell {
  path: 'direct' | 'forwarded';
  /** Who is under test, as failure messages name it: `mosquitto (container)` or a topology id. */
  who: string;
  subject: ResultSubject;
  version: ProtocolVersion;
  pubQos: Qos;
  subQos: Qos;
  expectedQos: Qos;
  /** How expectedQos was derived, e.g. `min(pub, sub)`. */
  expectation: string;
  publishTo: BrokerEndpoint;
  subscribeTo: BrokerEndpoint;
  publishTopic: string;
  expectTopic: string;
}

describeEachTarget('qos matrix: direct', {}, (broker, target) => {
  for (const version of PROTOCOL_VERSIONS) {
    describe(protocolName(version), () => {
      for (const pubQos of QOS_LEVELS) {
        for (const subQos of QOS_LEVELS) {
          const expectedQos = Math.min(pubQos, subQos) as Qos;
          test(`pub QoS ${pubQos} / sub QoS ${subQos} → delivered QoS ${expectedQos} = min(pub, sub), ${guaranteeOf(expectedQos)}`, async (ctx) => {
            const unsupported = version === 5 ? mqtt5SkipReason(plan, [target.name]) : undefined;
            if (unsupported) skipTest(ctx, 'capability', unsupported);
            const b = broker();
            const topic = `${testTopicPrefix(`qos-p${pubQos}s${subQos}v${version}`)}/cell`;
            await runCell(ctx, {
              path: 'direct',
              who: b.label,
              subject: brokerSubject(b),
              version,
              pubQos,
              subQos,
              expectedQos,
              expectation: 'min(pub, sub)',
              publishTo: b,
              subscribeTo: b,
              publishTopic: topic,
              expectTopic: topic,
            });
          });
        }
      }
    });
  }
});

describeEachTopology('qos matrix: through the forwarder', {}, (topology, topologyPlan) => {
  const { name: forwarder, declaration } = declarationOf(plan, topologyPlan);
  const policy = describeQosPolicy(declaration);
  for (const version of PROTOCOL_VERSIONS) {
    describe(protocolName(version), () => {
      for (const pubQos of QOS_LEVELS) {
        for (const subQos of QOS_LEVELS) {
          const forwardedQos = expectedForwardedQos(declaration, pubQos);
          const expectedQos = Math.min(forwardedQos, subQos) as Qos;
          const expectation = `min(${forwarder}: ${policy} → ${forwardedQos}, sub)`;
          // The weakest hop decides the guarantee: a forwarder that raises QoS cannot undo a QoS 0 first hop.
          const guarantee = Math.min(pubQos, expectedQos) as Qos;
          test(`pub QoS ${pubQos} / sub QoS ${subQos} → delivered QoS ${expectedQos} = ${expectation}, ${guaranteeOf(guarantee)}`, async (ctx) => {
            const unsupported =
              version === 5 ? mqtt5SkipReason(plan, [topologyPlan.downstream, topologyPlan.upstream]) : undefined;
            if (unsupported) skipTest(ctx, 'capability', unsupported);
            const t = topology();
            const ns = t.route('pass').namespace(`qos-p${pubQos}s${subQos}v${version}`);
            await runCell(ctx, {
              path: 'forwarded',
              who: t.id,
              subject: topologySubject(t),
              version,
              pubQos,
              subQos,
              expectedQos,
              expectation,
              publishTo: t.downstream,
              subscribeTo: t.upstream,
              publishTopic: ns.publish('cell'),
              expectTopic: ns.expect('cell'),
            });
          });
        }
      }
    });
  }
});

async function runCell(ctx: TestContext, cell: Cell): Promise<void> {
  const where = `${cell.who}, ${protocolName(cell.version)}, pub QoS ${cell.pubQos} / sub QoS ${cell.subQos}`;
  const guarantee = Math.min(cell.pubQos, cell.expectedQos) as Qos;

  const subscriber = await connectTestClient({ broker: cell.subscribeTo, role: 'sub', protocolVersion: cell.version });
  const tracker = new DeliveryTracker();
  // Registered before any wait below, so the tracker is up to date whenever a wait checks it.
  tracker.follow(subscriber.messages, (m) => m.topic === cell.expectTopic);
  const [grant] = await subscriber.subscribe(cell.expectTopic, { qos: cell.subQos });
  const publisher = await connectTestClient({ broker: cell.publishTo, role: 'pub', protocolVersion: cell.version });
  const log = tracker.sender(publisher.clientId);
  const outcome = await publishNumbered(publisher, log, {
    topic: cell.publishTopic,
    qos: cell.pubQos,
    count: MESSAGES_PER_CELL,
  });
  const waitError = await subscriber.messages
    .waitFor(
      () => tracker.allConfirmedReceived(),
      ARRIVAL_BUDGET_MS,
      `all ${log.confirmed.size} confirmed messages on ${cell.expectTopic}`,
    )
    .then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );

  const delivered = subscriber.messages.messages.filter((m) => m.topic === cell.expectTopic);
  const observedQos = [...new Set(delivered.map((m) => m.qos))].sort();
  const wrongQos = delivered.filter((m) => m.qos !== cell.expectedQos);
  const retained = delivered.filter((m) => m.retain);
  const dupFlagged = delivered.filter((m) => m.dup);
  const counters = tracker.counters();
  await recordResult(ctx, {
    suite: 'qos-matrix',
    scenario: `${cell.path} pub QoS ${cell.pubQos} / sub QoS ${cell.subQos}`,
    subject: cell.subject,
    protocolVersion: cell.version,
    qos: cell.pubQos,
    counters,
    qosCell: {
      path: cell.path,
      protocolVersion: cell.version,
      publishQos: cell.pubQos,
      subscribeQos: cell.subQos,
      expectedQos: cell.expectedQos,
      observedQos,
      expectation: cell.expectation,
      counters,
    },
    observations: {
      grantedQos: grant?.qos ?? null,
      deliveries: delivered.length,
      wirePublishes: subscriber.wirePublishes(),
      retainFlagSet: retained.length,
      dupFlagSet: dupFlagged.length,
      unexpected: tracker.unexpected(),
    },
    expectations: [`delivered QoS ${cell.expectedQos} = ${cell.expectation}`, `delivery ${guaranteeOf(guarantee)}`],
  });

  expect(
    outcome.confirmed,
    `${where}: only ${outcome.confirmed} of ${MESSAGES_PER_CELL} publishes were confirmed by ${cell.publishTo.label} (${tracker.summary()})`,
  ).toBe(MESSAGES_PER_CELL);
  // Whatever it granted, a broker never delivers above it ([MQTT-3.8.4-6] in 3.1.1, [MQTT-3.8.4-8] in 5).
  const aboveGrant = grant === undefined ? [] : delivered.filter((m) => m.qos > grant.qos);
  expect(
    aboveGrant.length,
    `${where}: delivered QoS ${[...new Set(aboveGrant.map((m) => m.qos))].join('/')} on ${aboveGrant.length} of ${delivered.length} messages, above the QoS ${grant?.qos} the SUBACK granted`,
  ).toBe(0);
  // A broker may grant less than asked [MQTT-3.8.4-5]; the matrix needs brokers configured to grant every QoS.
  expect(
    grant?.qos,
    `${where}: SUBACK granted QoS ${grant?.qos} for a QoS ${cell.subQos} subscription, so this cell cannot test min(pub, sub)`,
  ).toBe(cell.subQos);
  expect(
    counters.corrupted,
    `${where}: ${counters.corrupted} message(s) failed the integrity check (${tracker.summary()})`,
  ).toBe(0);
  expect(
    tracker.unexpected(),
    `${where}: received valid messages this cell never published (${tracker.summary()})`,
  ).toBe(0);
  if (guarantee === 0) {
    expect(
      counters.lost,
      `${where}: lost ${counters.lost} of ${counters.sent} QoS 0 messages; QoS 0 allows loss, but none is expected on loopback at this rate (${tracker.summary()}${waitError ? `; ${waitError}` : ''})`,
    ).toBe(0);
  } else {
    expect(
      counters.lost,
      `${where}: lost ${counters.lost} of ${counters.sent} confirmed messages, but delivery at QoS ${guarantee} is ${guaranteeOf(guarantee)} (${tracker.summary()}${waitError ? `; ${waitError}` : ''})`,
    ).toBe(0);
  }
  expect(
    wrongQos.length,
    `${where}: delivered QoS ${observedQos.join('/')} on ${wrongQos.length} of ${delivered.length} messages, expected ${cell.expectedQos} = ${cell.expectation}`,
  ).toBe(0);
  if (guarantee === 2) {
    expect(
      counters.duplicates,
      `${where}: ${counters.duplicates} duplicate(s), but QoS 2 delivers exactly once (${tracker.summary()})`,
    ).toBe(0);
  }
  // Live delivery: RETAIN is 0 for an established subscription ([MQTT-3.3.1-9] in 3.1.1; in 5 with
  // Retain As Published 0, the default [MQTT-3.3.1-12]), and nothing here was published retained.
  expect(
    retained.length,
    `${where}: ${retained.length} of ${delivered.length} live messages arrived with retain=1`,
  ).toBe(0);
  // DUP must be 0 on every QoS 0 PUBLISH [MQTT-3.3.1-2].
  expect(dupFlagged.filter((m) => m.qos === 0).length, `${where}: QoS 0 messages arrived with dup=1`).toBe(0);
  if (cell.path === 'direct') {
    // Ordered Topic: one publisher, one topic, one QoS -> delivered in publish order (§4.6,
    // [MQTT-4.6.0-5] and [MQTT-4.6.0-6] in 3.1.1 and 5). A forwarder is a client, not bound by
    // it: its reordering is reported, not failed.
    expect(
      counters.reordered,
      `${where}: ${counters.reordered} message(s) arrived out of publish order on one topic (${tracker.summary()})`,
    ).toBe(0);
  }
}
