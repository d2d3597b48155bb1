import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { runReportFolder, TestbenchReporter } from './helpers/report/reporter.js';
import { newRunId, RUN_ID_ENV } from './helpers/runtime/run-context.js';
import { StrictSkipsReporter } from './helpers/vitest/strict-skips-reporter.js';

// mqtt-testbench removes its own containers (labels + a watchdog process, see
// helpers/runtime/reaper), so testcontainers' Ryuk, whose image needs a registry, is off unless asked for.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

// The run id is fixed here, in the main process, so reporters configured below (JUnit's output
// file) and the global setup agree on the run's folder under reports/.
process.env[RUN_ID_ENV] ??= newRunId();

export default defineConfig({
  test: {
    // report.json / report.md / report.html + console summary (helpers/report), and JUnit XML with
    // each test's key figures as <property> elements (from the annotations record-result.ts adds).
    // An explicit list replaces vitest's defaults, which add 'github-actions' (failures as
    // annotations on the pull request) in GitHub Actions: it is added back here.
    reporters: [
      'default',
      ...(process.env['GITHUB_ACTIONS'] === 'true' ? ['github-actions' as const] : []),
      new TestbenchReporter(),
      // MQTT_TESTBENCH_STRICT=1: a skip without a declared reason fails the run.
      new StrictSkipsReporter(),
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
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['helpers/**/*.test.ts', 'forwarder/**/*.test.ts'],
          // The load engine's measurements (figures for the docs, not tests) run only when asked for.
          exclude: [
            ...configDefaults.exclude,
            ...(process.env['MQTT_TESTBENCH_MEASURE'] === '1' ? [] : ['helpers/load/measure.test.ts']),
          ],
          globalSetup: ['helpers/vitest/unit-global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['suites/**/*.test.ts'],
          globalSetup: ['helpers/vitest/global-setup.ts'],
          setupFiles: ['helpers/vitest/worker-setup.ts'],
          // Brokers and load generators share a 2-core machine: one suite file at a time keeps timings honest.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
