/**
 * Forwarding loss: the seed's light / medium / heavy scenarios (200 / 2,000 / 10,000 telemetry
 * messages of 10-200 points, about 0.7-14 KB) and rate steps, at QoS 0, 1 and 2, through every
 * forwarding topology and route (pass-through and EventCall), plus the direct path to each broker
 * for comparison. Every attempted publish ends as received (unique publisher, sequence) or lost,
 * whether or not the broker acknowledged it; publishes never acknowledged are gated on their own, as
 * are duplicates, reordering and corruption. Latency comes from HDR histograms in microseconds,
 * and gates (fixtures/gates) decide.
 */
import { describe, test } from 'vitest';
import { loadGates } from '../helpers/gates/index.js';
import { heavyTopologyLeaveOut, profileCases } from '../helpers/scenario/index.js';
import {
  runGatedScenario,
  describeEachTarget,
  describeEachTopology,
  runPlan,
  runSettings,
  skipTest,
  qos2PathSkipReason,
  qos2PublishSkipReason,
} from '../helpers/vitest/index.js';
import {
  brokerSubject,
  topologySubject,
  testTopicPrefix,
  type TopologyPlan,
  topologyComponents,
} from '../helpers/testbed/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';

const plan = runPlan();
const { gates } = loadGates(runSettings().gatesFile);
const forwardedCases = profileCases(plan.profile, 'forwarding-loss');
const directCases = profileCases(plan.profile, 'direct');
const TEST_TIMEOUT_MS = plan.profile === 'full' ? 600_000 : 120_000;

describe('forwarding loss', () => {
  const leaveOut = (t: TopologyPlan) => heavyTopologyLeaveOut(plan.profile, t);
  describeEachTopology('through the forwarder', { timeoutMs: TEST_TIMEOUT_MS, leaveOut }, (topology, topologyPlan) => {
    for (const scenario of forwardedCases) {
      test(`${scenario.scenario} QoS ${scenario.qos} ${scenario.route === 'event' ? 'EventCall' : 'pass-through'}`, async (context) => {
        const deviation = qos2PathSkipReason(plan, topologyPlan, scenario.qos);
        if (deviation) skipTest(context, 'capability', deviation);
        const bed = topology();
        if (!bed.forwarder.declaration.routes.includes(scenario.route)) {
          skipTest(
            context,
            'capability',
            `${bed.forwarder.name} does not implement the ${scenario.route} route (it declares ${bed.forwarder.declaration.routes.join(', ')})`,
          );
        }
        await runGatedScenario(context, {
          suite: 'forwarding-loss',
          subject: topologySubject(bed),
          label: `${scenario.scenario} QoS ${scenario.qos} ${scenario.route} via ${bed.id}`,
          scenario,
          publishUrl: bed.downstream.url,
          subscribeUrl: bed.upstream.url,
          connectOptions: connectOptionsFor(bed.downstream, bed.upstream),
          topics: () => {
            const ns = bed.route(scenario.route).namespace(scenario.scenario);
            return { topicFor: (i) => ns.publish(`p${i}`), subscribeFilter: ns.expectFilter };
          },
          gates,
          systemUnderTest: topologyComponents(bed),
        });
      });
    }
  });

  describeEachTarget('direct to the broker (for comparison)', { timeoutMs: TEST_TIMEOUT_MS }, (broker, targetPlan) => {
    for (const scenario of directCases) {
      test(`${scenario.scenario} QoS ${scenario.qos} direct`, async (context) => {
        const deviation =
          scenario.qos === 2 ? qos2PublishSkipReason(plan, targetPlan.name, 'the publisher') : undefined;
        if (deviation) skipTest(context, 'capability', deviation);
        const target = broker();
        await runGatedScenario(context, {
          suite: 'forwarding-loss',
          subject: brokerSubject(target),
          label: `${scenario.scenario} QoS ${scenario.qos} direct to ${target.label}`,
          scenario: { ...scenario, scenario: `${scenario.scenario}-direct` },
          publishUrl: target.url,
          subscribeUrl: target.url,
          connectOptions: connectOptionsFor(target),
          topics: () => {
            const prefix = testTopicPrefix(`direct-${scenario.scenario}`);
            return { topicFor: (i) => `${prefix}/p${i}`, subscribeFilter: `${prefix}/#` };
          },
          gates,
          systemUnderTest: [target],
        });
      });
    }
  });
});
