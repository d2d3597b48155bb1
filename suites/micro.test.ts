/**
 * Micro-benchmarks (tinybench 6) of the hot paths that matter to users: the load engine's own
 * per-message cost (encode, decode, histogram record, receive accounting), so a regression in the
 * harness shows up as a number, and the publish-to-receive round trip of one 1 KB message per QoS,
 * direct to each broker and through each forwarder. Results go to the report (suite `micro`):
 * operations per second as throughput, round-trip latency as an HDR histogram; the report's
 * baseline comparison turns a slowdown into a failure. Budgets per task come from the profile's
 * `micro` section; round trips run in the full profile only.
 */
import {
  skipTest,
  describeEachTarget,
  describeEachTopology,
  runPlan,
  recordResult,
  qos2PathSkipReason,
  qos2PublishSkipReason,
} from '../helpers/vitest/index.js';
import { describe, test } from 'vitest';
import { runEngineMicro, runRoundTrip, type MicroTaskResult } from '../helpers/load/index.js';
import type { ResultSubject } from '../helpers/model/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { shortRunId, uniqueName } from '../helpers/runtime/index.js';
import { profileMicro } from '../helpers/scenario/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';
import { brokerSubject, topologySubject, testTopicPrefix } from '../helpers/testbed/index.js';

const plan = runPlan();
const micro = profileMicro(plan.profile);
const roundTripMs = micro?.roundTripTimeMs ?? null;
const QOS_LEVELS = [0, 1, 2] as const;
const HARNESS: ResultSubject = {
  kind: 'broker',
  target: 'harness',
  runtime: 'in-process',
  version: `node ${process.versions.node}`,
};

function microResult(
  task: MicroTaskResult,
  subject: ResultSubject,
  scenario: string,
  qos?: 0 | 1 | 2,
  variant?: string,
): TestbenchResult {
  const result: TestbenchResult = {
    suite: 'micro',
    scenario,
    subject,
    ...(qos !== undefined ? { qos, protocolVersion: 4 as const } : {}),
    ...(variant ? { variant } : {}),
    throughput: { publishPerSec: task.opsPerSecond, receivePerSec: task.opsPerSecond, durationMs: 0 },
    observations: {
      meanNs: task.meanNs,
      p50Ns: task.p50Ns,
      p99Ns: task.p99Ns,
      rmePercent: task.rmePercent,
      opsPerSecond: task.opsPerSecond,
      samples: task.samples,
    },
  };
  if (task.latency) {
    const { unit: _unit, ...summary } = task.latency;
    result.latency = summary;
  }
  if (task.warnings.length > 0) {
    result.diagnostics = { harnessSaturated: true, reasons: task.warnings.map((w) => `tinybench timer warning: ${w}`) };
  }
  return result;
}

describe('micro-benchmarks', () => {
  if (micro !== null)
    describe('load engine, per message', () => {
      test('encode, decode, histogram record, receive accounting', { timeout: 120_000 }, async (context) => {
        const results = await runEngineMicro(micro?.engineTimeMs ?? 100);
        for (const task of results) await recordResult(context, microResult(task, HARNESS, `engine: ${task.name}`));
      });
    });

  if (roundTripMs === null) {
    test('round trip per QoS, direct and through the forwarder', (context) =>
      skipTest(context, 'not-selected', 'full profile only (npm run bench)'));
    return;
  }

  describeEachTarget('round trip direct to the broker', { timeoutMs: 120_000 }, (broker, targetPlan) => {
    for (const qos of QOS_LEVELS) {
      test(`QoS ${qos}`, async (context) => {
        const deviation = qos === 2 ? qos2PublishSkipReason(plan, targetPlan.name, 'the round trip') : undefined;
        if (deviation) skipTest(context, 'capability', deviation);
        const target = broker();
        const prefix = testTopicPrefix(`rtt-q${qos}`);
        const task = await runRoundTrip({
          publishUrl: target.url,
          subscribeUrl: target.url,
          topic: `${prefix}/p0`,
          filter: `${prefix}/#`,
          qos,
          timeMs: roundTripMs,
          clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('rtt')}`,
          connectOptions: connectOptionsFor(target),
          signal: context.signal,
        });
        await recordResult(context, microResult(task, brokerSubject(target), 'round trip', qos, 'direct'));
      });
    }
  });

  describeEachTopology('round trip through the forwarder', { timeoutMs: 120_000 }, (topology, topologyPlan) => {
    for (const qos of QOS_LEVELS) {
      test(`QoS ${qos} pass-through`, async (context) => {
        const deviation = qos2PathSkipReason(plan, topologyPlan, qos);
        if (deviation) skipTest(context, 'capability', deviation);
        const bed = topology();
        const ns = bed.route('pass').namespace(`rtt-q${qos}`);
        const task = await runRoundTrip({
          publishUrl: bed.downstream.url,
          subscribeUrl: bed.upstream.url,
          topic: ns.publish('p0'),
          filter: ns.expectFilter,
          qos,
          timeMs: roundTripMs,
          clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('rtt')}`,
          connectOptions: connectOptionsFor(bed.downstream, bed.upstream),
          signal: context.signal,
        });
        await recordResult(context, microResult(task, topologySubject(bed), 'round trip', qos, 'pass'));
      });
    }
  });
});
