// A small mqtt-testbench run for the harness tests (suites/harness-*.test.ts) to start in a child
// process: the real global setup (settings, plan, watchdog, run labels) and worker setup, and only
// the fixture test files of this folder. Which fixture runs is chosen on the command line.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { newRunId, RUN_ID_ENV } from '../../runtime/run-context.js';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env[RUN_ID_ENV] ??= newRunId();

const root = fileURLToPath(new URL('../../../', import.meta.url));

export default defineConfig({
  test: {
    root,
    name: 'suites-behaviour',
    include: ['helpers/vitest/testing/*.fixture.ts'],
    globalSetup: ['helpers/vitest/global-setup.ts'],
    setupFiles: ['helpers/vitest/worker-setup.ts'],
    fileParallelism: false,
    reporters: ['default'],
  },
});
