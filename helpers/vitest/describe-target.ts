import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from 'vitest';
import { phaseClock } from '../stats/phase-clock.js';
import { skipTest } from './skip.js';
import type { StartedBroker } from '../model/index.js';
import { targetByName } from '../targets/registry.js';
import { deadComponents } from '../testbed/liveness.js';
import type { TargetPlan } from '../testbed/run-plan.js';
import { runPlan, runSettings } from './provided-plan.js';
import { sharedBroker } from './shared.js';

/**
 * A graceful stop gives each component 10 s (a RabbitMQ node takes several), and blocks that run side
 * by side stop theirs at the same time: vitest's 10 s hook default is too short for a topology.
 */
const DISPOSE_TIMEOUT_MS = 60_000;

export interface TargetSuiteOptions {
  /** Keep retained messages and sessions across a graceful broker restart (implies `fresh`). */
  persistence?: boolean;
  /**
   * A broker of this block's own: its tests kill, restart or pause it, or need a clean state.
   * Without it, the block uses the run's shared broker of the target (started once per run).
   */
  fresh?: boolean;
  /** Per-test timeout inside this suite. */
  timeoutMs?: number;
}

/**
 * One describe block per target of the run, each with the target's broker: the run's shared one,
 * or (`fresh`, `persistence`) one of its own, started before the block's tests and disposed after
 * them (also when they fail). A target that cannot run here is skipped with its reason on every
 * test, or fails every test in strict mode.
 */
export function describeEachTarget(
  name: string,
  options: TargetSuiteOptions,
  body: (broker: () => StartedBroker, target: TargetPlan) => void,
): void {
  const plan = runPlan();
  describe(name, () => {
    if (plan.targets.length === 0) {
      test('no target selected', (context) =>
        skipTest(context, 'not-selected', 'MQTT_TESTBENCH_TARGETS selects no target for this run'));
    }
    for (const target of plan.targets) {
      describe(`${target.name} (${target.runtime})`, { timeout: options.timeoutMs ?? 30_000 }, () => {
        const broker = useBroker(target, options);
        body(broker, target);
      });
    }
  });
}

/** Starts the target's broker for the enclosing describe block; returns an accessor for the tests. */
export function useBroker(target: TargetPlan, options: TargetSuiteOptions = {}): () => StartedBroker {
  const settings = runSettings();
  let broker: StartedBroker | undefined;
  beforeAll(
    async () => {
      if (target.status === 'skipped') {
        if (runPlan().strict)
          throw new Error(`MQTT_TESTBENCH_STRICT=1 and target ${target.name} cannot run: ${target.reason}`);
        return;
      }
      broker = await phaseClock.time('start', () =>
        options.fresh || options.persistence
          ? targetByName(target.name).start({ runtime: target.runtime, settings, persistence: options.persistence })
          : sharedBroker(target.name),
      );
    },
    settings.startupTimeoutMs * 2 + settings.probeTimeoutMs,
  );
  let broken: string | undefined;
  beforeEach((context) => {
    if (target.status === 'skipped') skipTest(context, 'environment', `${target.name} skipped: ${target.reason}`);
    if (broken) throw new Error(`the ${target.name} broker cannot run this test: ${broken}`);
  });
  // A broker that died during a test fails that test with how it died, and the later tests of the
  // block at once, instead of each running into connection timeouts.
  afterEach(async ({ task }) => {
    if (!broker || broken) return;
    const dead = await deadComponents([broker]);
    if (dead.length === 0) return;
    broken = `${dead.join('; ')} (since the test "${task.name}")`;
    throw new Error(`${dead.join('; ')}. It died during this test, or the test left it stopped.`);
  });
  afterAll(async () => {
    await phaseClock.time('teardown', async () => broker?.dispose());
  }, DISPOSE_TIMEOUT_MS);
  return () => {
    if (!broker)
      throw new Error(`the ${target.name} broker is not running (its start failed; see the error of the first test).`);
    return broker;
  };
}
