/**
 * The mqtt-bench scenario of seed 003: 1,000 clients each publishing 1 KB messages as fast as the
 * broker confirms them (one in flight per client, as takanorig/mqtt-bench does: publish, wait for
 * the token, publish again), at QoS 0, 1 and 2, direct to each broker, in two variants:
 * - publish-only: no subscriber, as mqtt-bench and its peers measure; the publish-side rate
 *   (confirmed messages per second from the first publish to the last confirmation) compares
 *   with theirs;
 * - end-to-end: one subscriber receives everything, so the broker also delivers; beside the
 *   publish-side rate it gives what the peers do not measure: the received rate, exact loss and
 *   latency.
 * Both report the harness's own memory (RSS) for 1,000 connections, and which client it used.
 * Also: memory per idle connection (connect N clients that do nothing; RSS and heap delta / N).
 * The CI profile runs 1,000 clients × 10 messages at QoS 1 (both variants) and 200 idle connections.
 */
import {
  skipTest,
  runGatedScenario,
  describeEachTarget,
  runPlan,
  runSettings,
  recordResult,
  qos2PublishSkipReason,
} from '../helpers/vitest/index.js';
import { describe, expect, test } from 'vitest';
import { loadGates } from '../helpers/gates/index.js';
import { measureIdleConnections } from '../helpers/load/index.js';
import { profileCases, profileIdleConnections } from '../helpers/scenario/index.js';
import { shortRunId, uniqueName } from '../helpers/runtime/index.js';
import { brokerSubject, testTopicPrefix } from '../helpers/testbed/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';

const plan = runPlan();
const { gates } = loadGates(runSettings().gatesFile);
const cases = profileCases(plan.profile, 'mqtt-bench');
const idle = profileIdleConnections(plan.profile);
const TEST_TIMEOUT_MS = plan.profile === 'full' ? 900_000 : 120_000;
const MB = 1024 * 1024;

describe('mqtt-bench scenario (1,000 clients)', () => {
  describeEachTarget('direct to the broker', { timeoutMs: TEST_TIMEOUT_MS }, (broker, targetPlan) => {
    for (const scenario of cases) {
      const { publishers, messages, subscribers } = scenario.workload;
      const variant = subscribers === 0 ? 'publish only' : `${subscribers} subscriber`;
      test(`${publishers} clients × ${messages} messages QoS ${scenario.qos}, ${variant}`, async (context) => {
        const deviation =
          scenario.qos === 2 ? qos2PublishSkipReason(plan, targetPlan.name, 'the publishers') : undefined;
        if (deviation) skipTest(context, 'capability', deviation);
        const target = broker();
        const { load } = await runGatedScenario(context, {
          suite: 'load',
          subject: brokerSubject(target),
          label: `${scenario.scenario} QoS ${scenario.qos} ${variant} direct to ${target.label}`,
          scenario: { ...scenario, variant: scenario.variant ?? 'direct' },
          publishUrl: target.url,
          subscribeUrl: target.url,
          connectOptions: connectOptionsFor(target),
          topics: () => {
            const prefix = testTopicPrefix(`bench-${scenario.scenario}`);
            return { topicFor: (i) => `${prefix}/${i}`, subscribeFilter: `${prefix}/#` };
          },
          gates,
          systemUnderTest: [target],
          decorate: (result, run) => {
            Object.assign((result.observations ??= {}), {
              clients: run.workload.publishers,
              messagesPerClient: run.workload.messages ?? null,
              publishSidePerSec: run.throughput.confirmedPerSecond,
              endToEndReceivedPerSec: run.throughput.receivedPerSecond,
              harnessHeapUsedMaxBytes: run.diagnostics.memory.heapUsedMaxBytes,
            });
            const received =
              subscribers === 0
                ? 'publish only (no subscriber, as the peers measure)'
                : `received ${Math.round(run.throughput.receivedPerSecond)} msg/s end to end`;
            (result.notes ??= []).push(
              `publish side ${Math.round(run.throughput.confirmedPerSecond)} msg/s (mqtt-bench's figure), ${received}; ` +
                `harness RSS ${Math.round(run.diagnostics.memory.rssMaxBytes / MB)} MB (${run.diagnostics.client.used} client); limited by ${run.diagnostics.limitedBy}`,
            );
          },
        });
        expect(load.counters.sent).toBe(publishers * (messages ?? 0));
      });
    }

    for (const entry of idle) {
      test(`memory per idle connection (${entry.connections} clients)`, async (context) => {
        const target = broker();
        const report = await measureIdleConnections({
          url: target.url,
          connectOptions: connectOptionsFor(target),
          connections: entry.connections,
          clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('idle')}`,
          signal: context.signal,
        });
        await recordResult(context, {
          suite: 'load',
          scenario: entry.scenario,
          subject: brokerSubject(target),
          protocolVersion: 4,
          observations: {
            connections: report.connections,
            harnessClient: report.client,
            connectMs: report.connectMs,
            rssPerConnectionBytes: report.rssPerConnectionBytes,
            heapPerConnectionBytes: report.heapPerConnectionBytes,
            rssBeforeBytes: report.rssBeforeBytes,
            rssAfterBytes: report.rssAfterBytes,
            heapUsedBeforeBytes: report.heapUsedBeforeBytes,
            heapUsedAfterBytes: report.heapUsedAfterBytes,
            gcForced: report.gcForced,
          },
          notes: [
            `${report.connections} idle ${report.client} clients in the harness process: ${(report.rssPerConnectionBytes / 1024).toFixed(1)} KB RSS and ` +
              `${(report.heapPerConnectionBytes / 1024).toFixed(1)} KB heap per connection (connected in ${report.connectMs} ms)`,
          ],
        });
        expect(report.connections).toBe(entry.connections);
      });
    }
  });
});
