import { phaseClock } from '../stats/phase-clock.js';
import { skipTest } from './skip.js';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  inject,
  test,
  type RunnerTask,
  type RunnerTestFile,
  type RunnerTestSuite,
} from 'vitest';
import { forwarderFromSpec } from '../forwarders/registry.js';
import { deadComponents, topologyComponents } from '../testbed/liveness.js';
import { runResources } from '../testbed/leftovers.js';
import { inResourceScope, uniqueName } from '../runtime/run-context.js';
import type { RunPlan, TopologyPlan } from '../testbed/run-plan.js';
import { startTopology, type StartedTopology, type TopologyOptions } from '../testbed/topology.js';
import { runPlan, runSettings } from './provided-plan.js';
import { sharedTopology } from './shared.js';
import { startInTurn } from './start-in-turn.js';

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
  const own = Boolean(options.fresh || options.persistence);
  const early = new Map<string, OwnStart>();
  let fileEnded = false;
  // Every topology the file asked for, started or failed. A measuring file's blocks wait for it
  // before their first test: a RabbitMQ node still booting beside a measurement takes its CPU.
  let allStarted: Promise<unknown> = Promise.resolve();
  const measuring = inject('suiteProject') === 'measure';
  const beforeFirstTest = measuring ? () => allStarted : undefined;
  describe(name, () => {
    if (skipWithoutTopologies(plan)) return;
    if (!own)
      beforeAll(() => {
        const wanted = plan.topologies.filter((t) => t.status === 'ready' && !options.leaveOut?.(t));
        allStarted = Promise.allSettled(wanted.map((t) => sharedTopology(t.id)));
      });
    else {
      // The file's own topologies start when the file does, not each when its block begins. In the
      // measuring project, where nothing else runs, side by side (faults, ci: 4 topologies, 48 s of
      // starts one after another). In the behaviour project one after another, each while the
      // blocks before it test: side by side beside the other behaviour files, a RabbitMQ node of
      // clean-session-forwarder did not finish booting within its 60 s (run
      // 20261207-140408-dc5f54, 4 nodes starting at once). Only topologies with a test to run
      // start (a -t filter leaves the others out).
      // vitest wants an object pattern for the context argument, even an empty one.
      // eslint-disable-next-line no-empty-pattern
      beforeAll(({}, suite) => {
        const wanted = plan.topologies
          .filter((t) => t.status === 'ready' && !options.leaveOut?.(t) && hasTestToRun(suite, t.id))
          .map((t) => ({ topology: t, scope: uniqueName('topology') }));
        const start = (w: OwnWanted) => startOwnTopology(w.topology, options, w.scope);
        const notStarted = (w: OwnWanted) =>
          new Error(`topology ${w.topology.id} was not started: its file ended before its turn`);
        const started = measuring ? wanted.map(start) : startInTurn(wanted, start, () => fileEnded, notStarted);
        for (const [i, w] of wanted.entries()) {
          const promise = started[i];
          if (!promise) continue;
          promise.catch(() => undefined); // awaited (and reported) by the block's beforeAll
          early.set(w.topology.id, { scope: w.scope, started: promise });
        }
        allStarted = Promise.allSettled(started);
      });
      // A block whose hooks did not run still has its topology disposed (a second dispose is a no-op).
      // A file that ends early (Ctrl-C, a failed hook) starts none of the topologies still waiting
      // for their turn.
      afterAll(async () => {
        fileEnded = true;
        await Promise.all(
          [...early.values()].map((s) =>
            s.started.then(
              (t) => t.dispose(),
              () => undefined,
            ),
          ),
        );
      }, DISPOSE_TIMEOUT_MS);
    }
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
        const started = useTopology(topology, options, () => early.get(topology.id), beforeFirstTest);
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

/** A topology a file starts for its own blocks, and the resource scope it starts in. */
interface OwnWanted {
  topology: TopologyPlan;
  scope: string;
}

/** A topology of a file's own being started, in the resource scope that its leftover check reads. */
interface OwnStart {
  scope: string;
  started: Promise<StartedTopology>;
}

/** Starts a topology of a file's own in the resource scope `scope`, which its leftover check reads. */
function startOwnTopology(plan: TopologyPlan, options: TopologyOptions, scope: string): Promise<StartedTopology> {
  const settings = runSettings();
  return inResourceScope(scope, () =>
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
  );
}

/** Whether the block named `id` of this suite has a test that will run (not filtered out or skipped). */
function hasTestToRun(suite: Readonly<RunnerTestSuite | RunnerTestFile>, id: string): boolean {
  const block = suite.tasks.find((task) => task.type === 'suite' && task.name === id);
  const runs = (task: RunnerTask): boolean =>
    task.type === 'suite' ? task.tasks.some(runs) : task.mode === 'run' || task.mode === 'only';
  return block !== undefined && runs(block);
}

export function useTopology(
  plan: TopologyPlan,
  options: TopologyOptions & { fresh?: boolean } = {},
  earlyStart: () => OwnStart | undefined = () => undefined,
  /** Awaited (as start time) after the topology is up, before the block's first test. */
  beforeFirstTest?: () => Promise<unknown>,
): () => StartedTopology {
  const settings = runSettings();
  const own = Boolean(options.fresh || options.persistence);
  let scope: string | undefined;
  let topology: StartedTopology | undefined;
  beforeAll(
    async () => {
      if (plan.status === 'skipped') {
        if (runPlan().strict)
          throw new Error(`MQTT_TESTBENCH_STRICT=1 and topology ${plan.id} cannot run: ${plan.reason}`);
        return;
      }
      if (!own) {
        topology = await phaseClock.time('start', () => sharedTopology(plan.id));
      } else {
        const early = earlyStart();
        scope = early?.scope ?? uniqueName('topology');
        const started = early?.started ?? startOwnTopology(plan, options, scope);
        topology = await phaseClock.time('start', () => started);
      }
      if (beforeFirstTest) await phaseClock.time('start', beforeFirstTest);
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
    if (scope && topology) {
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
