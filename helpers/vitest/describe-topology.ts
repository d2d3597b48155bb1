import { phaseClock } from '../stats/phase-clock.js';
import { skipTest } from './skip.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from 'vitest';
import { forwarderFromSpec } from '../forwarders/registry.js';
import { deadComponents, topologyComponents } from '../testbed/liveness.js';
import { runResources } from '../testbed/leftovers.js';
import { inResourceScope, uniqueName } from '../runtime/run-context.js';
import type { RunPlan, TopologyPlan } from '../testbed/run-plan.js';
import { startTopology, type StartedTopology, type TopologyOptions } from '../testbed/topology.js';
import { runPlan, runSettings } from './provided-plan.js';
import { sharedTopology } from './shared.js';

/**
 * A graceful stop gives each component 10 s (a RabbitMQ node takes several), and blocks that run side
 * by side stop theirs at the same time: vitest's 10 s hook default is too short for a topology.
 */
const DISPOSE_TIMEOUT_MS = 60_000;

export interface TopologySuiteOptions extends TopologyOptions {
  timeoutMs?: number;
  /**
   * Topologies of this suite's own: its tests kill, restart or pause a component, or need a clean
   * state (`persistence` implies it). Without it, the suite uses the run's shared topologies.
   */
  fresh?: boolean;
  /**
   * A reason to leave a topology out of this suite in this run (e.g. a profile choice); its tests
   * are skipped with the reason and the topology is not started. Not a failure in strict mode:
   * the topology can run, the suite chose not to.
   */
  leaveOut?: (topology: TopologyPlan) => string | undefined;
}

/**
 * One describe block per forwarding topology of the run (each broker pair with each forwarder):
 * the run's shared topology, or (`fresh`, `persistence`) one of the suite's own, started before the
 * block's tests and disposed after them. Shared topologies are all asked for at once when the file
 * starts, so the run starts those nobody asked for yet side by side. A topology that cannot run is
 * skipped with the reason, or fails in strict mode.
 */
export function describeEachTopology(
  name: string,
  options: TopologySuiteOptions,
  body: (topology: () => StartedTopology, plan: TopologyPlan) => void,
): void {
  const plan = runPlan();
  describe(name, () => {
    if (skipWithoutTopologies(plan)) return;
    if (!options.fresh && !options.persistence)
      beforeAll(() => {
        for (const t of plan.topologies)
          if (t.status === 'ready' && !options.leaveOut?.(t)) void sharedTopology(t.id).catch(() => undefined);
      });
    for (const topology of plan.topologies) {
      describe(topology.id, { timeout: options.timeoutMs ?? 60_000 }, () => {
        const leftOut = topology.status === 'ready' ? options.leaveOut?.(topology) : undefined;
        if (leftOut) {
          beforeEach((context) => skipTest(context, 'not-selected', leftOut));
          body(() => {
            throw new Error(`topology ${topology.id} is left out of this suite: ${leftOut}`);
          }, topology);
          return;
        }
        const started = useTopology(topology, options);
        body(started, topology);
      });
    }
  });
}

/**
 * A run without forwarding topologies (MQTT_TESTBENCH_FORWARDER=none, or no target) gets one test
 * skipped with that reason: a block without tests fails its file in vitest. True when it did that.
 */
export function skipWithoutTopologies(plan: RunPlan): boolean {
  if (plan.topologies.length > 0) return false;
  const reason =
    plan.forwarders.length === 0
      ? 'no forwarding topology in this run: MQTT_TESTBENCH_FORWARDER=none (single-broker suites only)'
      : 'no forwarding topology in this run: no target to forward between';
  test('through a forwarding topology', (context) => skipTest(context, 'not-selected', reason));
  return true;
}

export function useTopology(
  plan: TopologyPlan,
  options: TopologyOptions & { fresh?: boolean } = {},
): () => StartedTopology {
  const settings = runSettings();
  const own = Boolean(options.fresh || options.persistence);
  const scope = uniqueName('topology');
  let topology: StartedTopology | undefined;
  beforeAll(
    async () => {
      if (plan.status === 'skipped') {
        if (runPlan().strict)
          throw new Error(`MQTT_TESTBENCH_STRICT=1 and topology ${plan.id} cannot run: ${plan.reason}`);
        return;
      }
      topology = await phaseClock.time('start', () =>
        !own
          ? sharedTopology(plan.id)
          : inResourceScope(scope, () =>
              startTopology(
                {
                  downstream: plan.downstream,
                  upstream: plan.upstream,
                  runtime: plan.runtime,
                  forwarder: forwarderFromSpec(plan.forwarder, settings),
                },
                settings,
                options,
              ),
            ),
      );
    },
    settings.startupTimeoutMs * 4 + settings.probeTimeoutMs,
  );
  let broken: string | undefined;
  beforeEach((context) => {
    if (plan.status === 'skipped') skipTest(context, 'environment', `${plan.id} skipped: ${plan.reason}`);
    if (broken) throw new Error(`topology ${plan.id} cannot run this test: ${broken}`);
  });
  // A broker or forwarder that died during a test fails that test with what died, and the later
  // tests of the block at once, instead of each running into connection timeouts.
  afterEach(async ({ task }) => {
    if (!topology || broken) return;
    const dead = await deadComponents(topologyComponents(topology));
    if (dead.length === 0) return;
    broken = `${dead.join('; ')} (since the test "${task.name}")`;
    throw new Error(`topology ${plan.id}: ${dead.join('; ')}. It died during this test, or the test left it stopped.`);
  });
  afterAll(async () => {
    await phaseClock.time('teardown', async () => topology?.dispose());
    // A topology of the file's own must be gone once disposed (the shared ones go with the run).
    if (own && topology) {
      const left = await runResources(scope);
      if (left.containers.length + left.networks.length + left.processes.length > 0)
        throw new Error(`topology ${plan.id} left parts behind after its dispose: ${JSON.stringify(left)}`);
    }
  }, DISPOSE_TIMEOUT_MS);
  return () => {
    if (!topology)
      throw new Error(`topology ${plan.id} is not running (its start failed; see the error of the first test).`);
    return topology;
  };
}
