// Runs in every test worker before its test files: adopts the run started by the global setup, and
// makes sure the worker never outlives that run (see registerWorker).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { processStartTicks } from '../runtime/proc.js';
import { WORKERS_DIR } from '../runtime/reaper/reap.mjs';
import { exportRunContext, type RunContext } from '../runtime/run-context.js';
import '../report/vitest-context.js';

const REGISTERED = Symbol.for('mqtt-testbench.worker-registered');
const run = inject('runContext');
exportRunContext(run);
registerWorker(run);

/**
 * On SIGINT the vitest main process exits at once, and a worker in the middle of a test goes on
 * (it only notices when it next reports to the main process): it could start brokers after the
 * run was cleaned up. So a worker exits as soon as its channel to the main process closes, and it
 * records its pid in the run folder, where the watchdog kills it before it reaps the run.
 */
function registerWorker(ctx: RunContext): void {
  if (!process.send) return; // not a forked worker (threads pool): it dies with the main process
  // Setup files run again for every test file in the same worker; register once per process.
  const state = globalThis as { [REGISTERED]?: boolean };
  if (state[REGISTERED]) return;
  state[REGISTERED] = true;
  const file = join(ctx.runDir, WORKERS_DIR, `${process.pid}.json`);
  mkdirSync(join(ctx.runDir, WORKERS_DIR), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid), label: 'vitest worker' }),
  );
  process.once('disconnect', () => process.exit(130));
  process.once('exit', () => rmSync(file, { force: true }));
}
