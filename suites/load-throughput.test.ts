/**
 * Load engine throughput and latency, direct to each broker: 1 publisher → 1 subscriber with 1 KB
 * payloads as fast as confirmations allow, at QoS 0, 1 and 2, with every client in one thread
 * (`workers-1`) and with publishers and subscribers in two worker threads (`workers-2`); and the
 * latency at a steady 10,000 msg/s QoS 0. Each result says who set the pace (diagnostics:
 * requested rate, system under test, or the harness itself, then it is untrustworthy and not
 * gated). The CI profile runs one short worker-thread smoke case so that path cannot rot.
 */
import { describe, test } from 'vitest';
import { loadGates } from '../helpers/gates/index.js';
import { workerBundleStatus } from '../helpers/load/index.js';
import { profileCases } from '../helpers/scenario/index.js';
import {
  runGatedScenario,
  describeEachTarget,
  runPlan,
  runSettings,
  skipTest,
  qos2PublishSkipReason,
} from '../helpers/vitest/index.js';
import { brokerSubject, testTopicPrefix } from '../helpers/testbed/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';

const plan = runPlan();
const { gates } = loadGates(runSettings().gatesFile);
const cases = profileCases(plan.profile, 'throughput');
const TEST_TIMEOUT_MS = plan.profile === 'full' ? 300_000 : 60_000;
const bundle = workerBundleStatus();

describe('load engine throughput', () => {
  describeEachTarget('direct to the broker', { timeoutMs: TEST_TIMEOUT_MS }, (broker, targetPlan) => {
    for (const scenario of cases) {
      const threads = scenario.workload.workers;
      test(`${scenario.scenario} QoS ${scenario.qos}${scenario.variant ? ` ${scenario.variant}` : ''}`, async (context) => {
        const deviation =
          scenario.qos === 2 ? qos2PublishSkipReason(plan, targetPlan.name, 'the publishers') : undefined;
        if (deviation) skipTest(context, 'capability', deviation);
        if (threads !== 1 && bundle.state !== 'ready')
          skipTest(context, 'environment', `worker threads unavailable: ${bundle.reason}`);
        const target = broker();
        await runGatedScenario(context, {
          suite: 'load',
          subject: brokerSubject(target),
          label: `${scenario.scenario} QoS ${scenario.qos}${scenario.variant ? ` ${scenario.variant}` : ''} direct to ${target.label}`,
          scenario,
          publishUrl: target.url,
          subscribeUrl: target.url,
          connectOptions: connectOptionsFor(target),
          topics: () => {
            const prefix = testTopicPrefix(`tp-${scenario.scenario}`);
            return { topicFor: (i) => `${prefix}/p${i}`, subscribeFilter: `${prefix}/#` };
          },
          gates,
          systemUnderTest: [target],
        });
      });
    }
  });
});
