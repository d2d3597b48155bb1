import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { Settings } from '../model/index.js';
import { loadSettings } from '../config/settings.js';
import { loadGates } from '../gates/gate-file.js';
import { profileCases, type ProfileSection } from '../scenario/profile.js';
import { OWNER_TEMP_DIRS, reapRun } from '../runtime/reaper/reap.mjs';
import { sweepStaleRuns } from '../runtime/reaper/stale-runs.js';
import { exportRunContext, newRunContext, RUN_ID_ENV, type RunContext } from '../runtime/run-context.js';
import { buildRunPlan, type RunPlan } from '../testbed/run-plan.js';
import { SharedTestbedServer } from '../testbed/shared-server.js';
import { formatPlan } from './format-plan.js';
import '../report/vitest-context.js';

const WATCHDOG = fileURLToPath(new URL('../runtime/reaper/watchdog.mjs', import.meta.url));

/**
 * Once per run, in the main vitest process: validate the settings (bad input stops the run before
 * anything starts), reap leftovers of dead runs, start the watchdog that cleans up if this process
 * dies, decide the runtime, targets and topologies, print that plan, and hand it to the workers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Both suites projects (behaviour, measure) run this setup: the run is set up once and shared.
  const holder = globalThis as { [RUN_SETUP]?: Promise<RunSetup> };
  holder[RUN_SETUP] ??= setUpRun(project);
  const run = await holder[RUN_SETUP];
  run.users += 1;
  project.provide('plan', run.plan);
  project.provide('runContext', run.context);
  project.provide('sharedTestbed', run.sharedTestbed);
  return async () => {
    run.users -= 1;
    if (run.users === 0) await run.tearDown();
  };
}

const RUN_SETUP = Symbol.for('mqtt-testbench.run-setup');

interface RunSetup {
  plan: RunPlan;
  context: RunContext;
  sharedTestbed: string;
  users: number;
  tearDown(): Promise<void>;
}

async function setUpRun(project: TestProject): Promise<RunSetup> {
  const settings = loadSettings();
  validateInputFiles(settings);
  await sweepStaleRuns();
  const run = newRunContext(process.env[RUN_ID_ENV]);
  exportRunContext(run);
  writeFileSync(join(run.runDir, OWNER_TEMP_DIRS), JSON.stringify(project.vitest.projects.map((p) => p.tmpDir)));
  const watchdog = spawn(process.execPath, [WATCHDOG, run.runDir, run.runId], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  watchdog.stdin?.on('error', () => undefined); // the watchdog only reads EOF; a closed pipe is its signal, not an error here
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  const plan = await buildRunPlan(settings, run.runId);
  writeFileSync(join(run.runDir, 'plan.json'), JSON.stringify(plan, null, 2));
  console.log(formatPlan(plan));
  // Brokers and topologies the test files share, started once per run on first request.
  const shared = new SharedTestbedServer(plan, settings, join(run.runDir, 'shared-testbed.sock'));
  await shared.listen();

  const tearDown = async () => {
    await shared
      .close()
      .catch((error: unknown) =>
        console.error(`mqtt-testbench: ${error instanceof Error ? error.message : String(error)}`),
      );
    const result = await reapRun(run);
    if (result.errors.length > 0)
      console.error(`mqtt-testbench: cleanup of run ${run.runId} had errors:\n  ${result.errors.join('\n  ')}`);
    if (result.containers + result.networks + result.processes > 0) {
      console.warn(
        `mqtt-testbench: cleanup removed leftovers of run ${run.runId}: ${result.containers} container(s), ${result.networks} network(s), ${result.processes} process(es).`,
      );
    }
    watchdog.stdin?.end();
  };
  return { plan, context: run, sharedTestbed: shared.socketPath, users: 0, tearDown };
}

const PROFILE_SECTIONS = ['forwarding-loss', 'direct', 'max-rate'] as const satisfies readonly ProfileSection[];

/**
 * The input files the suites read when they load (the gate file of MQTT_TESTBENCH_GATES, the
 * profile and its workloads) are checked here too, so that a bad one stops the run before any
 * broker starts instead of failing one suite file after others already ran.
 */
function validateInputFiles(settings: Settings): void {
  loadGates(settings.gatesFile);
  for (const section of PROFILE_SECTIONS) profileCases(settings.profile, section);
}
