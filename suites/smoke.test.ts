/**
 * Smoke: for every runtime and target this run can use, a broker starts, passes its readiness
 * probe, delivers a message and is gone afterwards; every forwarding topology delivers a message
 * from the downstream broker to the upstream one through its forwarder.
 */
import {
  skipTest,
  skipWithoutTopologies,
  runPlan,
  runSettings,
  recordResult,
  sharedTopology,
} from '../helpers/vitest/index.js';
import mqtt from 'mqtt';
import { describe, test } from 'vitest';
import { inResourceScope, shortRunId, uniqueName } from '../helpers/runtime/index.js';
import { targetByName } from '../helpers/targets/index.js';
import { type RunResources, runResources, testTopicPrefix } from '../helpers/testbed/index.js';
import type { BrokerEndpoint } from '../helpers/model/index.js';

const plan = runPlan();
const settings = runSettings();
const TIMEOUT_MS = settings.startupTimeoutMs * 3;

/** Connects (with each broker's credentials and CA), subscribes on `subscribeTo`, publishes on `publishTo`, returns what arrived. */
async function roundTrip(
  publishTo: BrokerEndpoint,
  subscribeTo: BrokerEndpoint,
  publishTopic: string,
  expectTopic: string,
  payload: string,
): Promise<{ topic: string; payload: string; qos: number }> {
  const sub = await mqtt.connectAsync(
    subscribeTo.url,
    { ...subscribeTo.clientOptions, clientId: uniqueName(`mtb-${shortRunId()}-smoke-s`), reconnectPeriod: 0 },
    false,
  );
  const pub = await mqtt.connectAsync(
    publishTo.url,
    { ...publishTo.clientOptions, clientId: uniqueName(`mtb-${shortRunId()}-smoke-p`), reconnectPeriod: 0 },
    false,
  );
  try {
    const arrived = new Promise<{ topic: string; payload: string; qos: number }>((resolve) => {
      sub.on('message', (topic, body, packet) => resolve({ topic, payload: body.toString(), qos: packet.qos }));
    });
    await sub.subscribeAsync(expectTopic, { qos: 1 });
    await pub.publishAsync(publishTopic, payload, { qos: 1 });
    return await Promise.race([
      arrived,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`nothing arrived on ${expectTopic} within 10 s`)), 10_000),
      ),
    ]);
  } finally {
    await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
  }
}

async function refusesConnections(broker: BrokerEndpoint): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(
      broker.url,
      { ...broker.clientOptions, reconnectPeriod: 0, connectTimeout: 2_000 },
      false,
    );
    await client.endAsync(true);
    return false;
  } catch {
    return true; // connection refused or closed: nothing listens any more
  }
}

const NOTHING: RunResources = { containers: [], networks: [], processes: [] };

// Each test starts and disposes of its own broker, and only records its start time:
// they run side by side.
describe.concurrent('smoke: single brokers', () => {
  for (const target of plan.targets) {
    test(
      `${target.name} (${target.runtime}) starts, passes its probe, delivers a message and is gone afterwards`,
      { timeout: TIMEOUT_MS },
      async (context) => {
        const { expect } = context;
        if (target.status === 'skipped') skipTest(context, 'environment', `${target.name} skipped: ${target.reason}`);
        const scope = uniqueName('smoke-broker');
        const startedAt = performance.now();
        const broker = await inResourceScope(scope, () =>
          targetByName(target.name).start({ runtime: target.runtime, settings }),
        );
        const startupMs = Math.round(performance.now() - startedAt);
        let disposed = false;
        try {
          await recordResult(context, {
            suite: 'smoke',
            scenario: 'start to passing probe',
            subject: { kind: 'broker', target: target.name, runtime: target.runtime, version: broker.version },
            observations: { startupMs },
          });
          // The version names the product: the target's first word (mosquitto-secure is a Mosquitto).
          expect(broker.version).toMatch(new RegExp(`^${target.name === 'external' ? '' : target.name.split('-')[0]}`));
          const topic = `${testTopicPrefix('smoke')}/hello`;
          const received = await roundTrip(broker, broker, topic, topic, 'hello');
          expect(received).toEqual({ topic, payload: 'hello', qos: 1 });
          const started = await runResources(scope);
          if (target.runtime === 'container' || target.runtime === 'process')
            expect(started, `${broker.label}: its ${target.runtime} is not among the run's resources`).not.toEqual(
              NOTHING,
            );
          await broker.dispose();
          disposed = true;
          if (target.runtime !== 'external')
            expect(
              await refusesConnections(broker),
              `${broker.label} still accepts connections at ${broker.url} after dispose`,
            ).toBe(true);
          expect(await runResources(scope), `${broker.label}: left after dispose`).toEqual(NOTHING);
        } finally {
          if (!disposed) await broker.dispose();
        }
      },
    );
  }
});

// The run's shared topologies: the other files use the same ones, so each pairing starts once per
// run. Disposal is proven where a topology is the file's own (helpers/vitest/describe-topology.ts
// checks that nothing of it is left) and for the whole run by the run's cleanup.
describe.concurrent('smoke: forwarding topologies', () => {
  skipWithoutTopologies(plan);
  for (const topology of plan.topologies) {
    test(
      `${topology.id} starts, passes its end-to-end probe and forwards a message downstream -> upstream`,
      { timeout: TIMEOUT_MS * 2 },
      async (context) => {
        const { expect } = context;
        if (topology.status === 'skipped')
          skipTest(context, 'environment', `${topology.id} skipped: ${topology.reason}`);
        const started = await sharedTopology(topology.id);
        await recordResult(context, {
          suite: 'smoke',
          scenario: 'topology start to passing end-to-end probe',
          subject: {
            kind: 'topology',
            id: started.id,
            downstream: topology.downstream,
            upstream: topology.upstream,
            forwarder: started.forwarder.name,
            runtime: topology.runtime,
            versions: { downstream: started.downstream.version, upstream: started.upstream.version },
          },
          observations: { startupMs: started.startupMs },
        });
        const ns = started.route('pass').namespace('smoke');
        const received = await roundTrip(
          started.downstream,
          started.upstream,
          ns.publish('hello'),
          ns.expect('hello'),
          'through the forwarder',
        );
        expect(received).toEqual({ topic: ns.expect('hello'), payload: 'through the forwarder', qos: 1 });
      },
    );
  }
});
