// A child run like child-run.config.ts (the real global and worker setup, fixtures of this folder
// chosen on the command line) that also writes the real reports: report.json / .md / .html through
// the testbench reporter and junit.xml, into MQTT_TESTBENCH_REPORT_DIR. For tests of what a run's
// reports contain (suites/security.test.ts: no passwords).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { runReportFolder, TestbenchReporter } from '../../report/reporter.js';
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
    reporters: [
      'default',
      new TestbenchReporter(),
      [
        'junit',
        {
          outputFile: join(runReportFolder(process.env[RUN_ID_ENV]), 'junit.xml'),
          suiteName: 'mqtt-testbench',
          classnameTemplate: '{filename}',
          addFileAttribute: true,
        },
      ],
    ],
  },
});
