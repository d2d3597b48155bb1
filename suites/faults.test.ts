/**
 * Fault injection: while a QoS 0 and a QoS 1 stream run side by side through the forwarder
 * (published on the downstream broker, received on the upstream one, each on its own topic), one
 * fault is injected; the stream goes on across it and a tail is published after the component is
 * back. Every topology is started the way a production user runs it: both brokers with persistence
 * (`persistence: true`: Mosquitto `persistence true`, saved on graceful shutdown), the forwarder
 * with persistent sessions on both brokers, and test clients that survive the fault: every load
 * client reconnects every 100 ms with a persistent session (clean=false, fixed client id), so the
 * publisher keeps QoS 1 publishes that were not PUBACKed and sends them again after reconnecting,
 * and the upstream broker queues what arrives for the subscriber while it reconnects. A publish
 * never acknowledged and never delivered counts as lost, like any other.
 *
 * Faults: kill -9 of the forwarder and a start (back = the forwarder passed an end-to-end probe
 * again); a graceful restart of the upstream broker, and of the downstream broker (back = the
 * broker passed its MQTT probe); a pause of the forwarder for 5 s (`docker pause` or SIGSTOP;
 * back = resumed). A runtime that lacks a control skips the fault with the reason (e.g. an
 * external broker cannot be restarted by the testbench).
 *
 * What is asserted, per fault and forwarder declaration (helpers/faults/expectations.ts):
 *
 * | fault                          | QoS 1, losslessAcrossRestart=true (reference) | QoS 1, losslessAcrossRestart=false (mosquitto-bridge) | QoS 0 (every forwarder)                  |
 * | ------------------------------ | --------------------------------------------- | ----------------------------------------------------- | ---------------------------------------- |
 * | kill -9 + start of forwarder   | nothing lost                                  | loss measured and recorded                            | loss measured; resumes; loss under bound |
 * | restart of the upstream broker | nothing lost if that broker keeps sessions across a restart (Mosquitto with persistence), else measured (aedes, EMQX) — same for both | | loss measured; resumes; loss under bound |
 * | restart of the downstream one  | nothing lost if that broker keeps sessions across a restart, else measured — same for both |  | loss measured; resumes; loss under bound |
 * | pause of forwarder for 5 s     | nothing lost (nothing dies)                   | nothing lost (nothing dies)                           | loss measured; resumes; loss under bound |
 *
 * Always, at both QoS: no corrupted message and none nobody published; the stream resumes: a
 * message published after the component was back arrives upstream. QoS 1 also: every publish is
 * acknowledged by the end (the publisher resends what the restart left unacknowledged). QoS 0:
 * nothing arrives twice or out of order; loss is recorded, and gated by an upper bound that
 * proves the stream resumed: at most what the stream publishes from the fault to the recovery,
 * plus half of what it publishes after that (a path may flap for a moment after its first
 * message; a path that stays dead loses it all). QoS 1 duplicates and reordering are recorded,
 * not gated: redelivery after a reconnect produces both. Each of these is a gate of the result
 * (fixtures/gates/default.json `faults`, the declaration, the recovery bound), shown in the report.
 *
 * Recovery time = from the moment the fault control returned (the component is back) to the first
 * receipt upstream of a message *published* after that moment, timed by a watcher subscriber beside
 * the load engine's. For a pause that includes working off the backlog queued during it. Also
 * recorded: the first receipt of any message after that moment, and the downtime (fault begun to
 * component back).
 */
import {
  skipTest,
  declarationOf,
  describeEachTopology,
  runPlan,
  runSettings,
  recordResult,
} from '../helpers/vitest/index.js';
import { expect, test } from 'vitest';
import {
  FAULTS,
  FAULT_KINDS,
  faultComponent,
  faultExpectation,
  QOS0_PHRASE,
  runFaultStreams,
  unsupportedReason,
  type FaultKind,
  type FaultStream,
  type FaultTimeline,
} from '../helpers/faults/index.js';
import { targetByName } from '../helpers/targets/index.js';
import type { GateOutcome } from '../helpers/model/index.js';
import type { TestbenchResult } from '../helpers/report/index.js';
import { loadToResult, heavyTopologyLeaveOut, gateFigures } from '../helpers/scenario/index.js';
import { topologySubject, type StartedTopology, type TopologyPlan } from '../helpers/testbed/index.js';
import { evaluateGates, isTimingGate, loadGates } from '../helpers/gates/index.js';

const plan = runPlan();
const { gates: GATES } = loadGates(runSettings().gatesFile);
const FULL = plan.profile === 'full';
/** Messages per second of each stream (QoS 0 and QoS 1 run side by side). */
const RATE_PER_SEC = FULL ? 2_000 : 1_000;
/** Streaming before the fault (the fault also waits until both streams delivered something). */
const LEAD_MS = FULL ? 5_000 : 1_000;
const LEAD_BUDGET_MS = 15_000;
const PAUSE_MS = 5_000;
/**
 * Time the stream leaves for the fault, so that a tail is published after the component is back.
 * Measured on a busy 2-core machine (ci profile): the reference forwarder's kill -9 and start took
 * 3-5.5 s in containers (it subscribes again behind the backlog its resumed session delivers, and
 * the end-to-end probe waits for that), 1.5-2.7 s as a process, 0.4-0.8 s beside the embedded
 * broker; the bridge's 0.03-1.2 s. A broker restart takes what its target declares
 * (restartPersistence.budgetMs: Mosquitto 3.5 s, RabbitMQ's Erlang node far longer). A fault that
 * outlasts its budget plus the tail fails the test saying so.
 */
function faultBudgetMs(kind: FaultKind, topology: TopologyPlan): number {
  switch (kind) {
    case 'forwarder-kill':
      return 6_000;
    case 'forwarder-pause':
      return PAUSE_MS + 1_500;
    case 'upstream-restart':
      return targetByName(topology.upstream).restartPersistence.budgetMs;
    case 'downstream-restart':
      return targetByName(topology.downstream).restartPersistence.budgetMs;
  }
}
/**
 * Published after every stream recovered: feeds the QoS 0 bound after the recovery. The stream ends
 * then, not after the whole fault budget (which only bounds it).
 */
const TAIL_MS = FULL ? 10_000 : 1_500;
/** QoS 0 loss bound: the stream's messages from the fault to the recovery, plus this share of those after it. */
const QOS0_AFTER_RECOVERY_SHARE = 0.5;
const DRAIN_IDLE_MS = { qos0: 1_000, qos1: 2_000 };
const DRAIN_MAX_MS = 30_000;
/** A start within the startup budget, a graceful stop within 10 s (a restart is both). */
const STEP_TIMEOUT_MS = runSettings().startupTimeoutMs + runSettings().probeTimeoutMs + 15_000;
const TEST_TIMEOUT_MS = (FULL ? 300_000 : 90_000) + 2 * STEP_TIMEOUT_MS;

/**
 * The ci profile injects faults into the plain topologies only: the secured one repeats the same
 * forwarding paths over TLS (its credentials and TLS handling are the security suite's subject),
 * and its faults double this suite's time. The full profile runs them all.
 */
const leaveOut = (t: TopologyPlan) =>
  !FULL && (t.downstream === 'mosquitto-secure' || t.upstream === 'mosquitto-secure')
    ? 'ci profile: faults run on the plain topologies; the secured ones run in the full profile (npm run bench)'
    : heavyTopologyLeaveOut(plan.profile, t);

/**
 * A forwarder's kill and pause do the same to it whichever brokers it sits between: the ci profile
 * injects them where the run's first target forwards to itself, and broker restarts everywhere
 * (what a restart keeps is the broker's). The full profile injects every fault everywhere.
 */
const FIRST_TARGET = plan.targets.find((t) => t.status === 'ready')?.name;
function ciForwarderFaultLeaveOut(kind: FaultKind, t: TopologyPlan): string | undefined {
  if (FULL || FAULTS[kind].role !== 'forwarder' || t.downstream === FIRST_TARGET) return undefined;
  return `ci profile: forwarder faults run on the ${FIRST_TARGET ?? 'first target'} topologies; on the others only broker restarts (every fault: npm run bench)`;
}

describeEachTopology(
  'faults',
  { timeoutMs: TEST_TIMEOUT_MS, persistence: true, leaveOut },
  (topology, topologyPlan) => {
    const { name: forwarder, declaration } = declarationOf(plan, topologyPlan);
    for (const kind of FAULT_KINDS) {
      const expectation = faultExpectation(kind, {
        forwarder,
        declaration,
        downstream: topologyPlan.downstream,
        upstream: topologyPlan.upstream,
      });

      test(`${FAULTS[kind].title} mid-stream: ${expectation.qos1Phrase}; ${QOS0_PHRASE}`, async (ctx) => {
        const narrowed = ciForwarderFaultLeaveOut(kind, topologyPlan);
        if (narrowed) skipTest(ctx, 'not-selected', narrowed);
        const t = topology();
        const unsupported = unsupportedReason(t, kind);
        if (unsupported) skipTest(ctx, 'capability', unsupported);
        const where = `${t.id} (${t.runtime}), ${FAULTS[kind].title}`;
        const budgetMs = faultBudgetMs(kind, topologyPlan);
        const durationMs = LEAD_MS + budgetMs + TAIL_MS;
        const outcome = await runFaultStreams(t, {
          kind,
          streams: [
            { qos: 0, ratePerSecond: RATE_PER_SEC },
            { qos: 1, ratePerSecond: RATE_PER_SEC },
          ],
          durationMs,
          tailMs: TAIL_MS,
          leadMs: LEAD_MS,
          leadBudgetMs: LEAD_BUDGET_MS,
          pauseMs: PAUSE_MS,
          stepTimeoutMs: STEP_TIMEOUT_MS,
          drainIdleMs: DRAIN_IDLE_MS,
          drainMaxMs: DRAIN_MAX_MS,
          signal: ctx.signal,
        });

        const verdicts = outcome.streams.map((stream) =>
          judge(t, kind, stream, outcome.timeline, expectation.qos1Lossless, expectation.reasons, budgetMs),
        );
        for (const [i, stream] of outcome.streams.entries()) {
          const verdict = verdicts[i];
          if (!verdict) continue;
          const result = faultResult(
            t,
            kind,
            stream,
            outcome.timeline,
            verdict,
            stream.qos === 1 ? expectation.reasons : [],
          );
          result.gates = verdict.gates;
          await recordResult(ctx, result);
        }

        const failures = verdicts.flatMap((v) => v.failures.map((f) => `${where}, QoS ${v.qos}: ${f}`));
        expect(failures, failures.join('\n')).toEqual([]);
      });
    }
  },
);

interface Verdict {
  qos: 0 | 1;
  /** Short verdict for the report, e.g. `nothing lost` or `lost 12 (measured)`. */
  summary: string;
  lossBound: number | null;
  /** The gate file's faults limits and what the forwarder's declaration and the stream's recovery bound allow. */
  gates: GateOutcome[];
  failures: string[];
}

/** What failed for one stream, each in plain words with the measured figures. */
function judge(
  t: StartedTopology,
  kind: FaultKind,
  stream: FaultStream,
  timeline: FaultTimeline,
  qos1Lossless: boolean,
  losslessReasons: readonly string[],
  budgetMs: number,
): Verdict {
  const c = stream.load.counters;
  const failures: string[] = [];
  const gates = evaluateGates(GATES, 'faults', kind, stream.qos, gateFigures(stream.load)).filter(
    (g) => !isTimingGate(g),
  );
  const figures = `sent ${c.sent}, received ${c.received}, lost ${c.lost}, duplicates ${c.duplicates}, reordered ${c.reordered}, unconfirmed ${c.unconfirmed + c.publishFailed}; fault began ${Math.round((timeline.injectedAtUs - (stream.publishEndedAtUs - stream.load.timingsMs.publish * 1000)) / 1000)} ms into the stream, component back after ${timeline.downtimeMs} ms`;
  const broken = (figure: string) => gates.some((g) => g.figure === figure && !g.passed);
  if (broken('corrupted'))
    failures.push(
      `${c.corrupted + c.foreign} message(s) arrived corrupted (${stream.load.corruptedSamples.slice(0, 2).join(' | ')}) (${figures})`,
    );
  if (broken('duplicateRate'))
    failures.push(`${c.duplicates} QoS ${stream.qos} message(s) arrived twice, which QoS 0 forbids (${figures})`);
  if (broken('reorderedRate'))
    failures.push(`${c.reordered} QoS ${stream.qos} message(s) arrived out of publish order (${figures})`);
  if (c.unexpected > 0)
    failures.push(`${c.unexpected} message(s) arrived that this stream never published (${figures})`);
  if (stream.recovery.recoveryMs === null) {
    const afterBackMs = Math.round((stream.publishEndedAtUs - timeline.backAtUs) / 1000);
    failures.push(
      afterBackMs <= 0
        ? `the stream ended ${-afterBackMs} ms before ${faultLabel(t, kind)} was back (the fault took ${timeline.downtimeMs} ms, its budget is ${budgetMs} ms), so nothing was published after it and recovery could not be measured (${figures})`
        : `the stream did not resume: nothing published in the ${afterBackMs} ms after ${faultLabel(t, kind)} was back arrived upstream (${figures})`,
    );
  }
  const firstLost = stream.load.lostSamples[0];
  const lostAt = firstLost ? `; first lost seqs ${firstLost.seqs.join(',')}` : '';
  if (stream.qos === 1) {
    if (broken('unconfirmed'))
      failures.push(
        `${c.unconfirmed + c.publishFailed} QoS 1 publish(es) were never acknowledged by the downstream broker although the publisher resends unacknowledged publishes after reconnecting (${figures})`,
      );
    if (qos1Lossless) {
      const loss = countGate(
        'max lost QoS 1 messages',
        'lost',
        c.lost,
        0,
        losslessReasons.join(' ') || 'declared lossless',
      );
      gates.push(loss);
      if (!loss.passed)
        failures.push(
          `lost ${c.lost} of ${c.expected} QoS 1 messages (${c.lostAcknowledged} of them confirmed) across the ${FAULTS[kind].title}, but nothing may be lost here (${figures}${lostAt}; drain ended "${stream.load.drain.outcome}")`,
        );
    }
    return {
      qos: 1,
      summary: c.lost === 0 ? 'nothing lost' : `lost ${c.lost}${qos1Lossless ? '' : ' (measured)'}`,
      lossBound: null,
      gates,
      failures,
    };
  }
  const recoveredAtUs = stream.recovery.recoveredAtUs;
  const lossBound = recoveredAtUs === null ? null : qos0LossBound(stream, timeline, recoveredAtUs);
  if (lossBound !== null)
    gates.push(
      countGate(
        'max lost QoS 0 messages (the stream resumed)',
        'lost',
        c.lost,
        lossBound,
        'faults: what the stream published from the fault to the recovery, plus half of what followed',
      ),
    );
  if (lossBound !== null && recoveredAtUs !== null && c.lost > lossBound) {
    failures.push(
      `lost ${c.lost} QoS 0 messages, more than the bound of ${lossBound} (all ${Math.round((recoveredAtUs - timeline.injectedAtUs) / 1000)} ms from the fault to the recovery, plus half of what followed): the stream did not really resume (${figures}${lostAt})`,
    );
  }
  return { qos: 0, summary: `lost ${c.lost} (measured)`, lossBound, gates, failures };
}

/** A gate on a count whose limit the faults suite derives (a declaration, the stream's recovery bound). */
function countGate(name: string, figure: string, measured: number, limit: number, source: string): GateOutcome {
  return { name, figure, comparison: '<=', limit, measured, unit: 'messages', passed: measured <= limit, source };
}

/**
 * QoS 0 loss is measured, not gated, except for this bound, which proves the stream resumed: at
 * most everything the stream published from the fault to the recovery (a dead path loses it all),
 * plus half of what it published after the recovery (a path may still flap for a while after its
 * first message, e.g. a bridge whose second connection is still backing off; a path that stayed
 * dead loses it all). Counts follow the stream's schedule (rate x time), which the rate limiter
 * keeps even across an outage.
 */
function qos0LossBound(stream: FaultStream, timeline: FaultTimeline, recoveredAtUs: number): number {
  const publishStartUs = stream.publishEndedAtUs - stream.load.timingsMs.publish * 1000;
  const perUs = stream.ratePerSecond / 1_000_000;
  const duringOutage = perUs * (recoveredAtUs - timeline.injectedAtUs);
  const afterRecovery = Math.max(0, stream.load.counters.sent - perUs * (recoveredAtUs - publishStartUs));
  return Math.ceil(duringOutage + QOS0_AFTER_RECOVERY_SHARE * afterRecovery);
}

function faultResult(
  t: StartedTopology,
  kind: FaultKind,
  stream: FaultStream,
  timeline: FaultTimeline,
  verdict: Verdict,
  reasons: string[],
): TestbenchResult {
  const result = loadToResult(stream.load, 'faults', kind, topologySubject(t));
  const c = stream.load.counters;
  result.observations = {
    ...result.observations,
    fault: FAULTS[kind].title,
    component: faultLabel(t, kind),
    downtimeMs: timeline.downtimeMs,
    recoveryMs: stream.recovery.recoveryMs,
    firstReceiptAfterBackMs: stream.recovery.firstReceiptAfterBackMs,
    lost: c.lost,
    duplicates: c.duplicates,
    reordered: c.reordered,
    unconfirmed: c.unconfirmed + c.publishFailed,
    ...(verdict.lossBound !== null ? { qos0LossBound: verdict.lossBound } : {}),
    verdict: verdict.summary,
    publisherReconnects: stream.load.diagnostics.reconnects.publishers,
    subscriberReconnects: stream.load.diagnostics.reconnects.subscribers,
  };
  result.expectations = [
    ...(stream.qos === 1
      ? reasons
      : [
          'QoS 0: loss is measured and recorded; gated only by an upper bound that proves the stream resumed (the messages from the fault to the recovery, plus half of those after it).',
        ]),
    'No corruption and no messages nobody published; a message published after the component was back arrives upstream.',
    ...(stream.qos === 1
      ? [
          'Every QoS 1 publish is acknowledged by the end: the publisher (clean=false) keeps unacknowledged publishes and resends them after reconnecting; one never acknowledged and never delivered counts as lost.',
        ]
      : []),
  ];
  result.notes = [
    `Both brokers run with persistence (persistence: true): ${t.downstream.label} and ${t.upstream.label}; the forwarder holds persistent sessions on both.`,
    `Stream: ${stream.ratePerSecond} msg/s at QoS ${stream.qos} beside a stream at QoS ${stream.qos === 1 ? 0 : 1}; test clients reconnect every 100 ms with persistent sessions (clean=false).`,
    `Component back = ${FAULTS[kind].back}. Recovery = back to the first receipt of a message published after it.`,
    ...(result.notes ?? []),
  ];
  return result;
}

function faultLabel(t: StartedTopology, kind: FaultKind): string {
  return faultComponent(t, kind).label;
}
