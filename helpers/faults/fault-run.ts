import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../load/run-load.js';
import { nowUs } from '../load/clock.js';
import type { LoadResult, PeriodStats, WorkloadInput } from '../load/types.js';
import { withTimeout } from '../runtime/readiness-error.js';
import { shortRunId, uniqueName } from '../runtime/run-context.js';
import type { StartedTopology } from '../testbed/topology.js';
import { FAULTS, injectFault, type FaultKind, type FaultTimeline } from './inject.js';
import { RecoveryWatch, type TopicRecovery } from './recovery-watch.js';
import { connectOptionsFor } from '../security/client-options.js';

/**
 * What every load client of a fault run uses: reconnect every 100 ms and a persistent session
 * (clean=false, fixed client id). The publisher keeps QoS 1 publishes that were not PUBACKed in
 * mqtt.js's outgoing store and sends them again after reconnecting (a publish never PUBACKed is
 * "unconfirmed", not "lost"); the subscriber's session on the upstream broker queues what arrives
 * while it reconnects.
 */
export const FAULT_CONNECT_OPTIONS = { reconnectPeriod: 100, clean: false, connectTimeout: 5_000 } as const;

export interface FaultStreamPlan {
  qos: 0 | 1;
  ratePerSecond: number;
}

export interface FaultRunPlan {
  kind: FaultKind;
  streams: readonly FaultStreamPlan[];
  /**
   * Longest publishing time of each stream: the lead before the fault, the fault's budget and the
   * tail. Streams end earlier: `tailMs` after a message published after the component was back
   * arrived on every stream (no stream waits for the whole budget of a fault that was quick).
   */
  durationMs: number;
  /** Published after every stream recovered (or the fault failed): feeds the QoS 0 bound after recovery. */
  tailMs: number;
  /** The fault starts once every stream delivered messages upstream and this long after the streams began. */
  leadMs: number;
  /** At most this long is waited for the streams to flow before the fault. */
  leadBudgetMs: number;
  /** How long the forwarder stays paused (forwarder-pause). */
  pauseMs?: number;
  /** Bound of each step of the fault (kill, start, restart, pause, resume); default 150 s. */
  stepTimeoutMs?: number;
  /** Drain after publishing: ends when everything arrived, or after this long without progress. */
  drainIdleMs: { qos0: number; qos1: number };
  drainMaxMs: number;
  signal?: AbortSignal;
}

export interface FaultStream {
  qos: 0 | 1;
  ratePerSecond: number;
  topic: string;
  load: LoadResult;
  recovery: TopicRecovery;
  /** End of the stream's send phase, on the monotonic clock (µs), as the load engine timed it. */
  publishEndedAtUs: number;
}

export interface FaultRunOutcome {
  timeline: FaultTimeline;
  streams: FaultStream[];
}

/**
 * Streams at QoS 0 and QoS 1 side by side through the topology (publish downstream, subscribe
 * upstream, each stream on its own topic) and injects the fault once every stream has flowed for
 * one period. Recovery is timed by a watcher subscriber beside the load engine's. Returns the
 * load results, the fault's timeline and each stream's recovery; asserts nothing.
 */
export async function runFaultStreams(topology: StartedTopology, plan: FaultRunPlan): Promise<FaultRunOutcome> {
  const ns = topology.route('pass').namespace(`fault-${plan.kind}`);
  const streams = plan.streams.map((stream) => ({ ...stream, sub: `qos${stream.qos}`, flowing: false }));
  const watch = await RecoveryWatch.open(
    topology.upstream,
    `mtb-${shortRunId()}-${uniqueName('rw')}`,
    streams.map((s) => ns.expect(s.sub)),
  );
  try {
    let startFault!: () => void;
    const flowing = new Promise<void>((resolve) => (startFault = resolve));
    const onPeriod = (stream: (typeof streams)[number]) => (period: PeriodStats) => {
      if (period.received > 0) stream.flowing = true;
      if (streams.every((s) => s.flowing)) startFault();
    };
    const calledAtUs = nowUs();
    let recoveredOrFailed!: () => void;
    const faultOver = new Promise<void>((resolve) => (recoveredOrFailed = resolve));
    const tailPublished = faultOver.then(() => sleep(plan.tailMs, undefined, { signal: plan.signal }));
    tailPublished.catch(() => undefined);
    const loads = streams.map((stream) => {
      const workload: WorkloadInput = {
        name: `fault-${plan.kind}-qos${stream.qos}`,
        publishers: 1,
        subscribers: 1,
        qos: stream.qos,
        payload: { kind: 'fixed', bytes: 256 },
        durationMs: plan.durationMs,
        ratePerSecond: stream.ratePerSecond,
        drainIdleMs: stream.qos === 0 ? plan.drainIdleMs.qos0 : plan.drainIdleMs.qos1,
        drainMaxMs: plan.drainMaxMs,
        // Acknowledgements stop while the fault lasts (a restarting broker, a paused forwarder): a
        // publisher waits for them as long as the stream may run, not the engine's 5 s stall bound.
        ackTimeoutMs: plan.durationMs,
      };
      return runLoad({
        publishUrl: topology.downstream.url,
        subscribeUrl: topology.upstream.url,
        workload,
        topicFor: () => ns.publish(stream.sub),
        subscribeFilter: ns.expect(stream.sub),
        clientIdPrefix: `mtb-${shortRunId()}-${uniqueName(`f${stream.qos}`)}`,
        connectOptions: { ...connectOptionsFor(topology.downstream, topology.upstream), ...FAULT_CONNECT_OPTIONS },
        onPeriod: onPeriod(stream),
        stopSendingWhen: tailPublished,
        progressLabel: `${topology.id} ${FAULTS[plan.kind].title} QoS ${stream.qos}`,
        signal: plan.signal,
      });
    });
    // A stream that fails to start ends the wait for the lead at once (and is reported below).
    const streamFailed = Promise.race(loads.map((load) => load.then(() => new Promise<never>(() => undefined)))).catch(
      (error: unknown) => {
        throw new Error(`a stream failed before the fault: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      },
    );
    streamFailed.catch(() => undefined);

    const fault = (async () => {
      await withTimeout(
        Promise.race([flowing, streamFailed]),
        plan.leadBudgetMs,
        () =>
          new Error(
            `${topology.id} (${topology.runtime}): the streams did not flow within ${plan.leadBudgetMs} ms before the ${FAULTS[plan.kind].title} (${streams
              .filter((s) => !s.flowing)
              .map((s) => `QoS ${s.qos}`)
              .join(', ')} delivered nothing upstream), so no fault was injected`,
          ),
      );
      const sinceStartMs = (nowUs() - calledAtUs) / 1000;
      if (sinceStartMs < plan.leadMs) await sleep(plan.leadMs - sinceStartMs); // the stream's schedule, not a readiness wait
      const timeline = await injectFault(topology, plan.kind, {
        pauseMs: plan.pauseMs,
        stepTimeoutMs: plan.stepTimeoutMs,
      });
      watch.markBack(timeline.backAtUs);
      return timeline;
    })();
    fault.then(() => watch.allRecovered.then(recoveredOrFailed), recoveredOrFailed);

    // Every stream and the fault are awaited to the end (each is bounded), so nothing keeps running
    // behind a failure, and a paused or stopped component is back before this returns.
    const settled = await Promise.allSettled(loads);
    const faultSettled = await Promise.allSettled([fault]);
    const failures = [...settled, ...faultSettled]
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => s.reason as unknown);
    if (failures.length > 0) {
      const first = failures[0];
      if (failures.length === 1) throw first instanceof Error ? first : new Error(String(first));
      throw new AggregateError(failures, failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n'));
    }
    const results = settled.map((s) => (s as PromiseFulfilledResult<LoadResult>).value);
    const timeline = (faultSettled[0] as PromiseFulfilledResult<FaultTimeline>).value;
    return {
      timeline,
      streams: streams.map((stream, i) => {
        const load = results[i] as LoadResult;
        const topic = ns.expect(stream.sub);
        return {
          qos: stream.qos,
          ratePerSecond: stream.ratePerSecond,
          topic,
          load,
          recovery: watch.recovery(topic),
          publishEndedAtUs: calledAtUs + (load.timingsMs.connect + load.timingsMs.publish) * 1000,
        };
      }),
    };
  } finally {
    await watch.close();
  }
}
