/**
 * Maximum sustainable rate (full profile): through every forwarding topology and direct to every
 * broker, step through the profile's rates (fixtures/profiles/full.json `max-rate`), each step a
 * short load run, until the receive rate falls below 95 % of the requested rate, loss breaks its
 * limit, or the p99 latency from the intended send time does (helpers/scenario/max-rate.ts); then
 * bisect between the last rate that held and the first that did not. The result is the highest
 * rate that held, with every step. When the harness, not the system under test, could not drive a
 * step, the search says so and the figure is marked untrustworthy: the real limit is higher.
 */
import {
  skipTest,
  describeEachTarget,
  describeEachTopology,
  runPlan,
  runSettings,
  recordResult,
  qos2PathSkipReason,
  qos2PublishSkipReason,
} from '../helpers/vitest/index.js';
import type { IClientOptions } from 'mqtt';
import { describe, expect, test, type TestContext } from 'vitest';
import { loadGates, describeBrokenGates, evaluateGates, isTimingGate } from '../helpers/gates/index.js';
import { runLoad, type LoadResult } from '../helpers/load/index.js';
import type { ResultSubject } from '../helpers/model/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { shortRunId, uniqueName } from '../helpers/runtime/index.js';
import {
  describeSteps,
  findMaxSustainableRate,
  maxRateCriteria,
  type MaxRateResult,
  profileCases,
  type ScenarioCase,
  gateFigures,
  loadToResult,
} from '../helpers/scenario/index.js';
import { brokerSubject, topologySubject, testTopicPrefix } from '../helpers/testbed/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';

const plan = runPlan();
const FULL = plan.profile === 'full';
const { gates } = loadGates(runSettings().gatesFile);
const cases = FULL ? profileCases('full', 'max-rate') : [];
const TEST_TIMEOUT_MS = 1_800_000;

interface Path {
  subject: ResultSubject;
  label: string;
  variant: string;
  publishUrl: string;
  subscribeUrl: string;
  /** Credentials and CA for both sides (secured brokers). */
  connectOptions: IClientOptions;
  /** A fresh topic namespace per step: publish topic of publisher i, and the filter that matches them all. */
  namespace(step: string): { topicFor: (i: number) => string; filter: string };
}

async function searchAndRecord(context: TestContext, scenario: ScenarioCase, path: Path): Promise<MaxRateResult> {
  const rates = scenario.rates ?? [];
  const criteria = maxRateCriteria(scenario, gates);
  const search = await findMaxSustainableRate({
    rates,
    criteria,
    bisect: scenario.bisect ?? 0,
    retries: scenario.retries ?? 0,
    run: (rate): Promise<LoadResult> => {
      const ns = path.namespace(`msr-${rate}`);
      return runLoad({
        publishUrl: path.publishUrl,
        subscribeUrl: path.subscribeUrl,
        connectOptions: path.connectOptions,
        workload: { ...scenario.workload, name: `${scenario.scenario}-${rate}`, ratePerSecond: rate },
        topicFor: ns.topicFor,
        subscribeFilter: ns.filter,
        clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('msr')}`,
        signal: context.signal,
      });
    },
  });
  const steps = describeSteps(search.steps);
  const result: TestbenchResult = search.best
    ? loadToResult(search.best, 'load', scenario.scenario, path.subject)
    : {
        suite: 'load',
        scenario: scenario.scenario,
        subject: path.subject,
        protocolVersion: scenario.workload.protocolVersion,
        qos: scenario.qos,
      };
  result.variant = path.variant;
  // The best step held the search's criteria; its delivery is gated like any load scenario's.
  if (search.best)
    result.gates = evaluateGates(gates, 'load', scenario.scenario, scenario.qos, gateFigures(search.best)).filter(
      (g) => !isTimingGate(g),
    );
  result.observations = {
    ...result.observations,
    maxSustainableRate: search.maxSustainableRate,
    stoppedBy: search.stoppedBy,
    steps,
    stepCount: search.steps.length,
    minRateShare: criteria.minRateShare,
    maxLossRate: criteria.maxLossRate,
    maxP99Ms: criteria.maxP99Ms,
  };
  const summary =
    search.maxSustainableRate === null
      ? `no rate held (the lowest was ${Math.min(...rates)} msg/s)`
      : search.stoppedBy === 'exhausted'
        ? `every rate held: the maximum sustainable rate is above ${search.maxSustainableRate} msg/s`
        : search.stoppedBy === 'harness'
          ? `the harness could not drive more than ${search.maxSustainableRate} msg/s: the system's limit is at least that, and not known above it`
          : `maximum sustainable rate ${search.maxSustainableRate} msg/s`;
  result.notes = [`${path.label}: ${summary}. Steps: ${steps}`, ...(result.notes ?? [])];
  if (search.stoppedBy === 'harness') {
    const last = search.steps[search.steps.length - 1];
    result.diagnostics = {
      ...(result.diagnostics ?? { harnessSaturated: true, reasons: [] }),
      harnessSaturated: true,
      reasons: [
        `the search stopped at ${last?.rate ?? '?'} msg/s because the harness, not the system under test, was the limit (${last?.limitedBy ?? 'harness'})`,
      ],
    };
  }
  await recordResult(context, result);
  expect(describeBrokenGates(path.label, result.gates ?? []), 'the best step broke a delivery gate').toBe('');
  return search;
}

if (FULL)
  describe('maximum sustainable rate', () => {
    describeEachTopology('through the forwarder', { timeoutMs: TEST_TIMEOUT_MS }, (topology, topologyPlan) => {
      for (const scenario of cases) {
        test(`${scenario.scenario} QoS ${scenario.qos} ${scenario.route === 'event' ? 'EventCall' : 'pass-through'}`, async (context) => {
          const deviation = qos2PathSkipReason(plan, topologyPlan, scenario.qos);
          if (deviation) skipTest(context, 'capability', deviation);
          const bed = topology();
          if (!bed.forwarder.declaration.routes.includes(scenario.route)) {
            skipTest(context, 'capability', `${bed.forwarder.name} does not implement the ${scenario.route} route`);
          }
          const search = await searchAndRecord(context, scenario, {
            subject: topologySubject(bed),
            label: `${scenario.scenario} QoS ${scenario.qos} ${scenario.route} via ${bed.id}`,
            variant: scenario.route,
            publishUrl: bed.downstream.url,
            subscribeUrl: bed.upstream.url,
            connectOptions: connectOptionsFor(bed.downstream, bed.upstream),
            namespace: (step) => {
              const ns = bed.route(scenario.route).namespace(step);
              return { topicFor: (i) => ns.publish(`p${i}`), filter: ns.expectFilter };
            },
          });
          expect(
            search.maxSustainableRate,
            `not even ${Math.min(...(scenario.rates ?? []))} msg/s held: ${describeSteps(search.steps)}`,
          ).not.toBeNull();
        });
      }
    });

    describeEachTarget('direct to the broker', { timeoutMs: TEST_TIMEOUT_MS }, (broker, targetPlan) => {
      for (const scenario of cases.filter((c) => c.route === 'pass')) {
        test(`${scenario.scenario} QoS ${scenario.qos} direct`, async (context) => {
          const deviation =
            scenario.qos === 2 ? qos2PublishSkipReason(plan, targetPlan.name, 'the publishers') : undefined;
          if (deviation) skipTest(context, 'capability', deviation);
          const target = broker();
          const search = await searchAndRecord(context, scenario, {
            subject: brokerSubject(target),
            label: `${scenario.scenario} QoS ${scenario.qos} direct to ${target.label}`,
            variant: 'direct',
            publishUrl: target.url,
            subscribeUrl: target.url,
            connectOptions: connectOptionsFor(target),
            namespace: (step) => {
              const prefix = testTopicPrefix(step);
              return { topicFor: (i) => `${prefix}/p${i}`, filter: `${prefix}/#` };
            },
          });
          expect(
            search.maxSustainableRate,
            `not even ${Math.min(...(scenario.rates ?? []))} msg/s held: ${describeSteps(search.steps)}`,
          ).not.toBeNull();
        });
      }
    });
  });
else
  describe('maximum sustainable rate (CI profile)', () => {
    test('searched through every topology and direct', (context) =>
      skipTest(context, 'not-selected', 'full profile only (npm run bench)'));
  });
