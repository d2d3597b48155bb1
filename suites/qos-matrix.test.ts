/**
 * QoS matrix: publish QoS 0..2 × subscribe QoS 0..2, over MQTT 3.1.1 and MQTT 5, directly on
 * each broker and through each forwarder (downstream broker -> forwarder -> upstream broker).
 *
 * - The delivered QoS, retain and dup flags are read from the PUBLISH packets the subscriber got,
 *   never from what it asked for.
 * - A broker may grant less than asked ([MQTT-3.8.4-5] in 3.1.1, §3.9.3 in 5): the grant must be
 *   min(requested, the maximum the target's behaviour table declares). A grant below the request
 *   is the broker's documented choice, annotated in the report's grid with its source, not a failure.
 * - Directly, the delivered QoS is min(pub, granted) ([MQTT-3.8.4-6] in 3.1.1, [MQTT-3.8.4-8] in
 *   5); a delivery above the granted QoS always fails. Through a forwarder it is what the
 *   forwarder's declared QoS policy makes of what it received (at most the downstream broker's
 *   maximum), then min(., granted upstream); every test name says which expectation it used.
 * - A deviation from the spec that a target declares (RabbitMQ: no QoS 2 PUBLISH) skips the cells it
 *   rules out through skipForCapability, with the declaration as the reason; the cell is recorded
 *   and shown in the grid as a declared deviation. A deviation nobody declared fails.
 * - Delivery follows the weakest QoS on the path: QoS 2 exactly once, QoS 1 at least once
 *   (duplicates counted, allowed), QoS 0 at most once (loss counted; none is expected on loopback
 *   at these rates, so loss fails the cell too).
 * - Every payload carries publisher id, sequence and CRC (helpers/load/payload): each received
 *   message is integrity-checked and counted by unique (publisher, sequence).
 * - Each cell attaches a `qosCell` result; the reporter builds the 3x3 grid per target and path.
 */
import {
  skipTest,
  declarationOf,
  guaranteeOf,
  maxGrantedQos,
  mqtt5SkipReason,
  PROTOCOL_VERSIONS,
  QOS_LEVELS,
  qos2PublishSkipReason,
  describeEachTarget,
  describeEachTopology,
  runPlan,
  recordResult,
} from '../helpers/vitest/index.js';
import { describe, expect, test, type TestContext } from 'vitest';
import type { BrokerEndpoint, Qos, ResultSubject } from '../helpers/model/index.js';
import { describeQosPolicy, expectedForwardedQos } from '../helpers/forwarders/index.js';
import {
  connectTestClient,
  DeliveryTracker,
  protocolName,
  publishNumbered,
  type ProtocolVersion,
  type TestClient,
} from '../helpers/mqtt/index.js';
import type { QosCellAnnotation } from '../helpers/report/index.js';
import { brokerSubject, topologySubject, testTopicPrefix, type RunPlan } from '../helpers/testbed/index.js';

const plan = runPlan();
/** Messages per cell: enough to see loss and duplicates, few enough for 36 cells per target in seconds. */
const MESSAGES_PER_CELL = plan.profile === 'full' ? 500 : 30;
/** Upper bound for a cell's messages to arrive; the wait ends as soon as they did. */
const ARRIVAL_BUDGET_MS = plan.profile === 'full' ? 30_000 : 10_000;
/** Upper bound for a broker's answer to one QoS 2 PUBLISH. */
const QOS2_ANSWER_BUDGET_MS = 5_000;

interface Cell {
  path: 'direct' | 'forwarded';
  /** Who is under test, as failure messages name it: `mosquitto (container)` or a topology id. */
  who: string;
  subject: ResultSubject;
  version: ProtocolVersion;
  pubQos: Qos;
  subQos: Qos;
  /** The grant the subscribing broker's behaviour table declares: min(sub, its maximum QoS). */
  expectedGrant: Qos;
  /** The QoS the message reaches the subscribing broker with (pub directly; what the forwarder publishes). */
  arrivingQos: Qos;
  expectedQos: Qos;
  /** How expectedQos was derived, e.g. `min(pub, granted)`. */
  expectation: string;
  /** The grant below the request that the subscribing broker documents, for the report. */
  annotations: QosCellAnnotation[];
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
          const grant = grantOf(plan, target.name, subQos);
          const expectedQos = Math.min(pubQos, grant.qos) as Qos;
          const expectation = 'min(pub, granted)';
          test(`pub QoS ${pubQos} / sub QoS ${subQos} → ${grant.phrase}delivered QoS ${expectedQos} = ${expectation}, ${guaranteeOf(expectedQos)}`, async (ctx) => {
            const unsupported = version === 5 ? mqtt5SkipReason(plan, [target.name]) : undefined;
            if (unsupported) skipTest(ctx, 'capability', unsupported);
            const b = broker();
            const topic = `${testTopicPrefix(`qos-p${pubQos}s${subQos}v${version}`)}/cell`;
            const cell: Cell = {
              path: 'direct',
              who: b.label,
              subject: brokerSubject(b),
              version,
              pubQos,
              subQos,
              expectedGrant: grant.qos,
              arrivingQos: pubQos,
              expectedQos,
              expectation,
              annotations: grant.annotations,
              publishTo: b,
              subscribeTo: b,
              publishTopic: topic,
              expectTopic: topic,
            };
            const deviation = pubQos === 2 ? qos2PublishSkipReason(plan, target.name) : undefined;
            if (deviation) await skipDeclaredDeviation(ctx, cell, deviation, target.name);
            await runCell(ctx, cell);
          });
        }
      }
    });
  }

  // The cells a declared lack of QoS 2 publishes skips are not left unchecked: the deviation itself
  // is measured, so the table fails the day the broker starts to answer with the QoS 2 handshake.
  const { qos2Publish } = target.behaviour;
  if (!qos2Publish.value) {
    test(`the declared deviation holds: a QoS 2 PUBLISH gets no PUBREC (${target.name} declares: ${qos2Publish.says})`, async (ctx) => {
      const b = broker();
      const publisher = await connectTestClient({ broker: b, role: 'pub', protocolVersion: 4 });
      const answer = await qos2PublishAnswer(publisher.client, `${testTopicPrefix('qos2-deviation')}/cell`);
      await recordResult(ctx, {
        suite: 'qos-matrix',
        scenario: 'declared deviation: QoS 2 PUBLISH',
        subject: brokerSubject(b),
        protocolVersion: 4,
        qos: 2,
        observations: { answer },
        expectations: [`declared deviation (${qos2Publish.source}): ${qos2Publish.says}`],
      });
      expect(
        answer,
        `${b.label}, MQTT 3.1.1: a QoS 2 PUBLISH was answered with a PUBREC, the QoS 2 handshake, but ${target.name}'s behaviour table declares no QoS 2 publishes (qos2Publish): if the broker supports QoS 2 now, update the table, and its QoS 2 cells will run`,
      ).not.toBe('pubrec');
    });
  }
});

/**
 * What a broker answers to one QoS 2 PUBLISH (MQTT 3.1.1): `pubrec` (the QoS 2 handshake),
 * `puback` (treated as QoS 1), `disconnect` (refused), or `nothing` within 5 s.
 */
async function qos2PublishAnswer(
  client: TestClient['client'],
  topic: string,
): Promise<'pubrec' | 'puback' | 'disconnect' | 'nothing'> {
  return new Promise((resolve) => {
    const done = (answer: 'pubrec' | 'puback' | 'disconnect' | 'nothing') => {
      clearTimeout(timer);
      client.off('packetreceive', onPacket);
      client.off('close', onClose);
      resolve(answer);
    };
    const onPacket = (packet: { cmd: string }) => {
      if (packet.cmd === 'pubrec' || packet.cmd === 'puback') done(packet.cmd);
    };
    const onClose = () => done('disconnect');
    const timer = setTimeout(() => done('nothing'), QOS2_ANSWER_BUDGET_MS);
    client.on('packetreceive', onPacket);
    client.on('close', onClose);
    // mqtt.js takes a PUBACK as the end of any publish; the answer is read from the packet above.
    client.publish(topic, 'qos2-deviation', { qos: 2 }, () => undefined);
  });
}

describeEachTopology('qos matrix: through the forwarder', {}, (topology, topologyPlan) => {
  const { name: forwarder, declaration } = declarationOf(plan, topologyPlan);
  const policy = describeQosPolicy(declaration);
  const downstreamMax = maxGrantedQos(plan, topologyPlan.downstream);
  for (const version of PROTOCOL_VERSIONS) {
    describe(protocolName(version), () => {
      for (const pubQos of QOS_LEVELS) {
        for (const subQos of QOS_LEVELS) {
          // The forwarder receives at most what the downstream broker grants it, then applies its policy.
          const received = Math.min(pubQos, downstreamMax) as Qos;
          const forwardedQos = expectedForwardedQos(declaration, received);
          const grant = grantOf(plan, topologyPlan.upstream, subQos);
          const expectedQos = Math.min(forwardedQos, grant.qos) as Qos;
          const capped = received < pubQos ? `, received at ${received}: ${topologyPlan.downstream}'s maximum` : '';
          const expectation = `min(${forwarder}: ${policy} → ${forwardedQos}${capped}, granted)`;
          // The weakest hop decides the guarantee: a forwarder that raises QoS cannot undo a QoS 0 first hop.
          const guarantee = Math.min(pubQos, expectedQos) as Qos;
          test(`pub QoS ${pubQos} / sub QoS ${subQos} → ${grant.phrase}delivered QoS ${expectedQos} = ${expectation}, ${guaranteeOf(guarantee)}`, async (ctx) => {
            const unsupported =
              version === 5 ? mqtt5SkipReason(plan, [topologyPlan.downstream, topologyPlan.upstream]) : undefined;
            if (unsupported) skipTest(ctx, 'capability', unsupported);
            const t = topology();
            const ns = t.route('pass').namespace(`qos-p${pubQos}s${subQos}v${version}`);
            const cell: Cell = {
              path: 'forwarded',
              who: t.id,
              subject: topologySubject(t),
              version,
              pubQos,
              subQos,
              expectedGrant: grant.qos,
              arrivingQos: forwardedQos,
              expectedQos,
              expectation,
              annotations: grant.annotations,
              publishTo: t.downstream,
              subscribeTo: t.upstream,
              publishTopic: ns.publish('cell'),
              expectTopic: ns.expect('cell'),
            };
            const deviation =
              (pubQos === 2 ? qos2PublishSkipReason(plan, topologyPlan.downstream) : undefined) ??
              (forwardedQos === 2
                ? qos2PublishSkipReason(plan, topologyPlan.upstream, `${forwarder} (${policy})`)
                : undefined);
            if (deviation)
              await skipDeclaredDeviation(
                ctx,
                cell,
                deviation,
                pubQos === 2 && qos2PublishSkipReason(plan, topologyPlan.downstream)
                  ? topologyPlan.downstream
                  : topologyPlan.upstream,
              );
            await runCell(ctx, cell);
          });
        }
      }
    });
  }
});

/**
 * The grant a subscription at `subQos` gets from `target`, as its behaviour table declares it, and
 * the words and annotation for a grant below the request (the broker's documented choice).
 */
function grantOf(
  runPlan: RunPlan,
  target: string,
  subQos: Qos,
): { qos: Qos; phrase: string; annotations: QosCellAnnotation[] } {
  const entry = runPlan.targets.find((t) => t.name === target)?.behaviour.maxQos;
  const qos = Math.min(subQos, entry?.value ?? 2) as Qos;
  if (!entry || qos === subQos) return { qos, phrase: '', annotations: [] };
  return {
    qos,
    phrase: `granted QoS ${qos} (${target}'s documented maximum), `,
    annotations: [
      {
        kind: 'documented-choice',
        text: `${target} grants QoS ${qos} for a QoS ${subQos} subscription: ${entry.says}`,
        source: entry.source,
      },
    ],
  };
}

/**
 * A cell a target's declared deviation rules out: recorded (so the grid shows it as a declared
 * deviation, with its consequence) and skipped through skipForCapability with the declaration.
 */
async function skipDeclaredDeviation(ctx: TestContext, cell: Cell, reason: string, target: string): Promise<never> {
  const source = plan.targets.find((t) => t.name === target)?.behaviour.qos2Publish.source ?? '';
  await recordResult(ctx, {
    suite: 'qos-matrix',
    scenario: `${cell.path} pub QoS ${cell.pubQos} / sub QoS ${cell.subQos}`,
    subject: cell.subject,
    protocolVersion: cell.version,
    qos: cell.pubQos,
    qosCell: {
      path: cell.path,
      protocolVersion: cell.version,
      publishQos: cell.pubQos,
      subscribeQos: cell.subQos,
      expectedQos: cell.expectedQos,
      observedQos: [],
      expectation: cell.expectation,
      counters: new DeliveryTracker().counters(),
      grantedQos: null,
      annotations: [
        ...cell.annotations,
        { kind: 'declared-deviation', text: `${reason}. Consequence: this cell is skipped.`, source },
      ],
    },
    expectations: [`skipped: ${reason}`],
  });
  return skipTest(ctx, 'capability', reason);
}

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
  const granted = grant?.qos as Qos | undefined;
  // What the spec makes of the grant actually received: a delivery above it fails, whatever was declared.
  const aboveGrant = granted === undefined ? [] : delivered.filter((m) => m.qos > granted);
  const wrongQos = delivered.filter((m) => m.qos !== Math.min(cell.arrivingQos, granted ?? cell.expectedGrant));
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
      grantedQos: granted ?? null,
      annotations: cell.annotations,
    },
    observations: {
      grantedQos: granted ?? null,
      deliveries: delivered.length,
      wirePublishes: subscriber.wirePublishes(),
      retainFlagSet: retained.length,
      dupFlagSet: dupFlagged.length,
      unexpected: tracker.unexpected(),
    },
    expectations: [
      `granted QoS ${cell.expectedGrant} = min(sub, the subscribing broker's declared maximum)`,
      `delivered QoS ${cell.expectedQos} = ${cell.expectation}`,
      `delivery ${guaranteeOf(guarantee)}`,
    ],
  });

  expect(
    outcome.confirmed,
    `${where}: only ${outcome.confirmed} of ${MESSAGES_PER_CELL} publishes were confirmed by ${cell.publishTo.label} (${tracker.summary()})`,
  ).toBe(MESSAGES_PER_CELL);
  // A delivery above the granted QoS breaks [MQTT-3.8.4-6] whatever the broker declares (and tells
  // a SUBACK that grants less than the broker delivers).
  expect(
    aboveGrant.length,
    `${where}: ${aboveGrant.length} of ${delivered.length} messages delivered above the granted QoS (SUBACK granted ${granted}, delivered QoS ${observedQos.join('/')})`,
  ).toBe(0);
  // A broker may grant less than asked [MQTT-3.8.4-5], as far as its behaviour table declares.
  expect(
    granted,
    `${where}: SUBACK granted QoS ${granted} for a QoS ${cell.subQos} subscription, but ${cell.subscribeTo.label} declares it grants min(requested, its maximum) = ${cell.expectedGrant}: an undeclared ${granted !== undefined && granted < cell.expectedGrant ? 'downgrade' : 'grant'} (update the target's behaviour table if the broker documents it)`,
  ).toBe(cell.expectedGrant);
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
    `${where}: delivered QoS ${observedQos.join('/')} on ${wrongQos.length} of ${delivered.length} messages, expected ${cell.expectedQos} = ${cell.expectation} (granted ${granted})`,
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
