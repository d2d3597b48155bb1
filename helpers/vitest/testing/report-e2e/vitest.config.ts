// A miniature mqtt-testbench run for the reporter's end-to-end test (helpers/report/reporter.test.ts):
// one project named `suites` with a global setup that provides a run plan, fixture tests that
// attach results, and the testbench and JUnit reporters wired as in the real config.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { runReportFolder, TestbenchReporter } from '../../../report/reporter.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const runId = process.env['MQTT_TESTBENCH_RUN_ID'] ?? 'e2e-run';

export default defineConfig({
  test: {
    root,
    name: 'suites-behaviour',
    include: ['*.fixture.ts'],
    globalSetup: ['./global-setup.ts'],
    reporters: [
      'default',
      new TestbenchReporter(),
      ['junit', { outputFile: join(runReportFolder(runId), 'junit.xml'), suiteName: 'e2e', addFileAttribute: true }],
    ],
  },
});
