/**
 * Child-run fixture: starts the run's first forwarding topology that can run, writes
 * `<runDir>/fixture-ready` once it is up, then holds it until the run is interrupted (the harness
 * test sends SIGINT) or HOLD_MS passed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'vitest';
import { forwarderFromSpec } from '../../forwarders/registry.js';
import { runContext } from '../../runtime/run-context.js';
import { startTopology } from '../../testbed/topology.js';
import { runPlan, runSettings } from '../provided-plan.js';

const HOLD_MS = 60_000;

test('hold a topology until interrupted', { timeout: HOLD_MS + 60_000 }, async () => {
  const settings = runSettings();
  const plan = runPlan().topologies.find((t) => t.status === 'ready');
  if (!plan) throw new Error('no forwarding topology can run here');
  const topology = await startTopology(
    {
      downstream: plan.downstream,
      upstream: plan.upstream,
      runtime: plan.runtime,
      forwarder: forwarderFromSpec(plan.forwarder, settings),
    },
    settings,
  );
  try {
    writeFileSync(join(runContext().runDir, 'fixture-ready'), topology.id);
    await sleep(HOLD_MS); // the run is meant to be interrupted during this hold
  } finally {
    await topology.dispose();
  }
});
