import { reapRun } from '../runtime/reaper/reap.mjs';
import { exportRunContext, newRunContext, RUN_ID_ENV } from '../runtime/run-context.js';

/**
 * The unit project's run: its test files start brokers and forwarders of their own, and whatever
 * they record (pid files, configs) goes under one run folder that is removed at the end. Without
 * it each test process made a run folder of its own and left it behind.
 */
export default function setup(): () => Promise<void> {
  const run = newRunContext(process.env[RUN_ID_ENV]);
  exportRunContext(run);
  return async () => {
    const result = await reapRun(run);
    if (result.errors.length > 0)
      console.error(`mqtt-testbench: cleanup of run ${run.runId} had errors:\n  ${result.errors.join('\n  ')}`);
  };
}
