/**
 * Retained messages through the forwarder (downstream broker -> forwarder -> upstream broker),
 * compared with what the forwarder declares (helpers/forwarders: `retainForwarded`,
 * `retainedDeleteForwarded`):
 *
 * - a retained message published downstream: is it retained upstream (a new upstream subscription
 *   gets it with retain=1)?
 * - a retained delete (empty retained payload) published downstream: does it clear the retained
 *   message upstream?
 *
 * What counts is the upstream broker's retained state, read by a new subscription. Where the
 * upstream broker speaks MQTT 5, a watcher subscribed with Retain As Published also records the
 * RETAIN flag the forwarder published with (3.1.1 subscribers always see 0 on live delivery,
 * [MQTT-3.3.1-9]). Absence is proven with a retained control message on the upstream broker
 * (helpers/mqtt/retained.ts), never with a sleep. Every test removes the retained messages it
 * created on both brokers when it finishes, passed or failed.
 */
import { expect, test, type TestContext } from 'vitest';
import { createProbeMessage } from '../helpers/load/index.js';
import {
  clearRetainedOnFinish,
  connectTestClient,
  describeMessage,
  isMarkerOf,
  MarkerSender,
  payloadProblems,
  publishRetained,
  SentLog,
  subscribeWithControl,
  type ReceivedMessage,
  type RetainedControl,
  type TestClient,
} from '../helpers/mqtt/index.js';
import { declarationOf, describeEachTopology, runPlan, recordResult } from '../helpers/vitest/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { topologySubject, type RouteNamespace, type StartedTopology } from '../helpers/testbed/index.js';

const plan = runPlan();
/** Upper bound for one delivery through the forwarder; every wait ends as soon as it arrived. */
const ARRIVAL_BUDGET_MS = 10_000;

interface ForwardedRetainBench {
  topology: StartedTopology;
  ns: RouteNamespace;
  /** Where the retained message is published (downstream) and where it is expected (upstream). */
  downTopic: string;
  upTopic: string;
  /** Upstream, subscribed to the namespace before anything is published (MQTT 5 with Retain As Published when the upstream broker has it). */
  watcher: TestClient;
  watcherSeesRetainFlag: boolean;
  downPublisher: TestClient;
  upPublisher: TestClient;
  downLog: SentLog;
  upLog: SentLog;
  control: RetainedControl;
  receivers: TestClient[];
  nextPayload(log: SentLog): Buffer;
}

async function openBench(topology: StartedTopology, label: string): Promise<ForwardedRetainBench> {
  const ns = topology.route('pass').namespace(label);
  const downTopic = ns.publish('state');
  const upTopic = ns.expect('state');
  // Finish hooks run last-registered first: clients close, then the downstream retained message is
  // removed (the forwarder may pass that delete on), then the upstream ones.
  clearRetainedOnFinish(topology.upstream, [upTopic, ns.expect('ctl')]);
  clearRetainedOnFinish(topology.downstream, [downTopic]);
  const watcherSeesRetainFlag = topology.upstream.behaviour.mqtt5.value;
  const watcher = await connectTestClient({
    broker: topology.upstream,
    role: 'watch',
    protocolVersion: watcherSeesRetainFlag ? 5 : 4,
  });
  await watcher.subscribe(ns.expectFilter, { qos: 1, ...(watcherSeesRetainFlag ? { rap: true } : {}) });
  const upPublisher = await connectTestClient({ broker: topology.upstream, role: 'uppub' });
  const downPublisher = await connectTestClient({ broker: topology.downstream, role: 'pub' });
  const upLog = new SentLog(upPublisher.clientId);
  const downLog = new SentLog(downPublisher.clientId);
  const nextPayload = (log: SentLog) => {
    const seq = log.attempted;
    log.issue(seq);
    log.confirm(seq);
    return createProbeMessage({ publisherId: log.publisherId, seq });
  };
  const controlPayload = nextPayload(upLog);
  await publishRetained(upPublisher, watcher.messages, {
    topic: ns.expect('ctl'),
    payload: controlPayload,
    qos: 1,
    timeoutMs: ARRIVAL_BUDGET_MS,
  });
  return {
    topology,
    ns,
    downTopic,
    upTopic,
    watcher,
    watcherSeesRetainFlag,
    downPublisher,
    upPublisher,
    downLog,
    upLog,
    control: { topic: ns.expect('ctl'), payload: controlPayload },
    receivers: [watcher],
    nextPayload,
  };
}

/** What a new upstream subscription gets as retained message on the bench's upstream topic (`expected`: the payload that should be there, waited for). */
async function retainedUpstream(bench: ForwardedRetainBench, expected: Buffer | undefined): Promise<ReceivedMessage[]> {
  const late = await connectTestClient({ broker: bench.topology.upstream, role: 'late' });
  bench.receivers.push(late);
  await subscribeWithControl(
    late,
    { [bench.upTopic]: { qos: 1 } },
    bench.control,
    ARRIVAL_BUDGET_MS,
    expected && ((since) => since.some((m) => m.payload.equals(expected))),
  );
  return late.messages.on(bench.upTopic);
}

async function finish(
  ctx: TestContext,
  bench: ForwardedRetainBench,
  scenario: string,
  result: Pick<TestbenchResult, 'observations' | 'expectations'>,
): Promise<void> {
  await recordResult(ctx, {
    suite: 'retain',
    scenario,
    subject: topologySubject(bench.topology),
    protocolVersion: 4,
    variant: 'forwarded',
    ...result,
  });
  const problems = payloadProblems(
    bench.receivers.flatMap((r) => r.messages.messages),
    [bench.downLog, bench.upLog],
  );
  expect(
    problems,
    `${bench.topology.id}: ${problems.length} payload(s) received upstream failed the integrity check:\n  ${problems.slice(0, 5).join('\n  ')}`,
  ).toEqual([]);
}

function flag(message: ReceivedMessage | undefined, seen: boolean): boolean | null {
  return message && seen ? message.retain : null;
}

describeEachTopology('retain: through the forwarder', {}, (topology, topologyPlan) => {
  const { name: forwarder, declaration } = declarationOf(plan, topologyPlan);

  test(`a retained message published downstream is ${declaration.retainForwarded ? '' : 'not '}retained upstream (declared retainForwarded=${declaration.retainForwarded})`, async (ctx) => {
    const bench = await openBench(topology(), 'retain-fwd');
    const payload = bench.nextPayload(bench.downLog);
    const arrived = await publishRetained(bench.downPublisher, bench.watcher.messages, {
      topic: bench.downTopic,
      payload,
      qos: 1,
      expectTopic: bench.upTopic,
      timeoutMs: ARRIVAL_BUDGET_MS,
    }).catch((error: unknown) => {
      throw new Error(
        `${bench.topology.id}: a retained message published downstream never arrived upstream, retained or not: ${forwarder} did not forward ${bench.downTopic} to ${bench.upTopic} (${error instanceof Error ? error.message : String(error)})`,
      );
    });
    const publishedFlag = flag(arrived, bench.watcherSeesRetainFlag);
    // Published upstream without RETAIN, it is not stored there: nothing to wait for.
    const got = await retainedUpstream(
      bench,
      declaration.retainForwarded && publishedFlag !== false ? payload : undefined,
    );
    const kept = got.some((m) => m.retain && m.payload.equals(payload));
    await finish(ctx, bench, 'retained message through the forwarder', {
      observations: {
        retainedUpstream: kept,
        forwardedRetainFlag: publishedFlag,
        newSubscriptionDeliveries: got.length,
      },
      expectations: [`${forwarder} declares retainForwarded=${declaration.retainForwarded}`],
    });
    const gotNew = `a new upstream subscription got ${got.length === 0 ? 'no retained message' : got.map(describeMessage).join('; ')}`;
    const how = publishedFlag === null ? gotNew : `it arrived upstream with retain=${Number(publishedFlag)}`;
    if (declaration.retainForwarded) {
      expect(
        kept,
        publishedFlag === false
          ? `${bench.topology.id}: a retained message arrived upstream without its RETAIN flag (${forwarder} published it with retain=0), so the upstream broker did not keep it (${gotNew}), but ${forwarder} declares retainForwarded=true`
          : `${bench.topology.id}: the retained message published downstream is not retained upstream (${how}), but ${forwarder} declares retainForwarded=true`,
      ).toBe(true);
    } else {
      expect(
        kept,
        `${bench.topology.id}: the retained message published downstream is retained upstream (${how}), but ${forwarder} declares retainForwarded=false`,
      ).toBe(false);
    }
  });

  test(`a retained delete published downstream ${declaration.retainedDeleteForwarded ? 'clears' : 'does not clear'} the retained message upstream (declared retainedDeleteForwarded=${declaration.retainedDeleteForwarded})`, async (ctx) => {
    const bench = await openBench(topology(), 'retain-del');
    // The retained message to be deleted is put upstream directly, so this test does not depend on retainForwarded.
    const seeded = bench.nextPayload(bench.upLog);
    await publishRetained(bench.upPublisher, bench.watcher.messages, {
      topic: bench.upTopic,
      payload: seeded,
      qos: 1,
      timeoutMs: ARRIVAL_BUDGET_MS,
    });
    const from = bench.watcher.messages.count;
    await bench.downPublisher.publish(bench.downTopic, Buffer.alloc(0), { qos: 1, retain: true });
    // A marker after the delete (same client, topic and QoS): once it is upstream, the forwarder has
    // passed on whatever it passes on of the delete, if it forwards in order. A forwarder is a client
    // and not bound to order, so a missing delete is still waited for (bounded) before judging.
    const marker = await new MarkerSender(bench.downPublisher).send(bench.downTopic, 1);
    await bench.watcher.messages
      .waitForMessage(
        (m) => isMarkerOf(marker, m),
        ARRIVAL_BUDGET_MS,
        'the marker published downstream after the retained delete',
        from,
      )
      .catch((error: unknown) => {
        throw new Error(
          `${bench.topology.id}: ${forwarder} stopped forwarding: a message published downstream after the retained delete never arrived upstream (${error instanceof Error ? error.message : String(error)})`,
        );
      });
    const isDelete = (m: ReceivedMessage) => m.topic === bench.upTopic && m.payload.length === 0;
    const deleteArrived = declaration.retainedDeleteForwarded
      ? await bench.watcher.messages
          .waitForMessage(isDelete, ARRIVAL_BUDGET_MS, 'the retained delete (empty payload) upstream', from)
          .catch(() => undefined)
      : bench.watcher.messages.messages.slice(from).find(isDelete);
    const got = await retainedUpstream(bench, declaration.retainedDeleteForwarded ? undefined : seeded);
    const cleared = !got.some((m) => m.payload.equals(seeded));
    const forwardedFlag = flag(deleteArrived, bench.watcherSeesRetainFlag);
    await finish(ctx, bench, 'retained delete through the forwarder', {
      observations: {
        clearedUpstream: cleared,
        deleteArrivedUpstream: deleteArrived !== undefined,
        forwardedRetainFlag: forwardedFlag,
      },
      expectations: [`${forwarder} declares retainedDeleteForwarded=${declaration.retainedDeleteForwarded}`],
    });
    const how =
      deleteArrived === undefined
        ? 'the empty payload never arrived upstream'
        : `the empty payload arrived upstream${forwardedFlag === null ? '' : ` with retain=${Number(forwardedFlag)}`}`;
    if (declaration.retainedDeleteForwarded) {
      const why =
        deleteArrived === undefined
          ? `the retained delete (empty retained payload) published downstream never arrived upstream within ${ARRIVAL_BUDGET_MS} ms`
          : forwardedFlag === false
            ? `the retained delete arrived upstream without its RETAIN flag (${forwarder} published the empty payload with retain=0), which clears nothing`
            : `a retained delete published downstream did not clear the retained message upstream (${how})`;
      expect(
        cleared,
        `${bench.topology.id}: ${why}, so the retained message upstream survived, but ${forwarder} declares retainedDeleteForwarded=true`,
      ).toBe(true);
    } else {
      expect(
        cleared,
        `${bench.topology.id}: a retained delete published downstream cleared the retained message upstream (${how}), but ${forwarder} declares retainedDeleteForwarded=false`,
      ).toBe(false);
    }
  });
});
