import { availableParallelism } from 'node:os';
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

/**
 * The suites in two projects. A file in both (IN_BOTH) registers its timed cases in the measuring
 * project and the others in the behaviour one.
 */
const MEASURING_SUITES = [
  'suites/forwarding-loss.test.ts',
  'suites/faults.test.ts',
  'suites/load-throughput.test.ts',
  'suites/load-mqtt-bench.test.ts',
  'suites/load-max-rate.test.ts',
  'suites/micro.test.ts',
];
/**
 * Unit files whose assertions are timing bounds (latencies compared across processes, the wall
 * clock paired with the monotonic one within 50 µs): they run alone, after the suites.
 */
const TIMED_UNIT_TESTS = [
  'helpers/load/shard/sharded-vs-single.test.ts',
  'helpers/load/clock.test.ts',
  // Asserts what set a rate-limited run's pace (the system under test, not the harness): a machine
  // busy with other files made it say "harness" once (run 20261206-210511-700d29).
  'helpers/load/worker/workers.test.ts',
  // Its clean reruns must keep a 100 ms p99 gate: the proof that a rerun passes only when clean.
  'helpers/vitest/run-gated.test.ts',
];
/**
 * In both projects: their timed cases run in the measuring one, the others in the behaviour one.
 * harness-cleanup's timed case is not a measurement but a time bound (SIGINT cleans up within 10 s)
 * that a machine busy with the behaviour suites made it miss once.
 */
const IN_BOTH = ['suites/selftest.test.ts', 'suites/selftest-forwarder.test.ts', 'suites/harness-cleanup.test.ts'];

export default defineConfig({
  test: {
    // Vitest's default on 2 cores is one file at a time. The behaviour suites and most unit files
    // wait on sockets, brokers and child runs far more than they compute, so they share the cores;
    // the measuring project below still runs one file at a time, alone.
    maxWorkers: Math.max(4, availableParallelism()),
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
            ...TIMED_UNIT_TESTS,
          ],
          globalSetup: ['helpers/vitest/unit-global-setup.ts'],
          setupFiles: ['helpers/vitest/phases-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // Behaviour suites measure no time: their files run side by side with each other and with
          // the unit tests, on brokers and topologies the run shares (helpers/testbed/shared-server.ts).
          name: 'suites-behaviour',
          include: ['suites/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MEASURING_SUITES],
          globalSetup: ['helpers/vitest/global-setup.ts'],
          setupFiles: ['helpers/vitest/worker-setup.ts', 'helpers/vitest/phases-setup.ts'],
          provide: { suiteProject: 'behaviour' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // Measuring suites keep the machine to themselves: after everything above, one file at a
          // time. A timed scenario never shares the CPU with another test (and if something else
          // does take it, the timing verdict says so: helpers/gates/timing-verdict.ts).
          name: 'suites-measure',
          include: [...MEASURING_SUITES, ...IN_BOTH],
          globalSetup: ['helpers/vitest/global-setup.ts'],
          setupFiles: ['helpers/vitest/worker-setup.ts', 'helpers/vitest/phases-setup.ts'],
          provide: { suiteProject: 'measure' },
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // No global setup of its own: the unit project's (run context, cleanup at the very end)
          // serves it; a second one would clean the run up before the suites' shared testbed.
          name: 'unit-timed',
          include: TIMED_UNIT_TESTS,
          setupFiles: ['helpers/vitest/phases-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
