/**
 * Runs real suite files in a child `vitest run` against the external target (the way a user checks
 * their own broker) and reads its verdicts back from the report.json the child writes.
 */
import { TIMING_LIMITS } from '../gates/evaluate.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onTestFinished, type TestContext } from 'vitest';
import { loadGates, type GateFile, type GateLimits } from '../gates/gate-file.js';
import { readReport } from '../report/read-report.js';
import type { FailedTest, TestbenchReport } from '../report/report-types.js';
import { runReportFolder } from '../report/reporter.js';
import { runContext } from '../runtime/run-context.js';
import { ChildRun, childEnv, REPO_ROOT, type ChildExit } from '../vitest/testing/child-run.js';

/** Settings of the parent run that must not leak into a child that checks one broker by URL. */
const NOT_INHERITED = [
  'MQTT_TESTBENCH_EXTERNAL_URL',
  'MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL',
  'MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL',
  'MQTT_TESTBENCH_BASELINE',
  'MQTT_TESTBENCH_BASELINE_FORCE',
  'MQTT_TESTBENCH_BASELINE_TOLERANCES',
  // A child checks the forwarder it is given, against the declaration it is given (default: a correct one).
  'MQTT_TESTBENCH_FORWARDER_DECLARATION',
  'MQTT_TESTBENCH_FAULTY_FORWARDER_STATS',
  // A child's report must not end up in the job summary of the run that started it.
  'GITHUB_STEP_SUMMARY',
];

export interface ChildSuitesRequest {
  /** Short name for the run id and report folder, e.g. `drop`. */
  label: string;
  /** Suite files relative to the repository root. */
  files: readonly string[];
  /** vitest `-t`: a regular expression over full test names. */
  testNamePattern?: string;
  /** Broker URLs: `url` for single-broker suites, `downstream` + `upstream` for the forwarding topology. */
  external: { url?: string; downstream?: string; upstream?: string };
  /** The child's gate file (MQTT_TESTBENCH_GATES). Default: deliveryOnlyGates(). */
  gates?: GateFile;
  /** More settings for the child, laid over the ones above, e.g. `MQTT_TESTBENCH_FORWARDER: 'command:...'`. */
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** The calling test's context, when tests run concurrently: vitest's global onTestFinished cannot tell them apart. */
  context?: Pick<TestContext, 'onTestFinished'>;
}

export interface ChildSuitesOutcome {
  runId: string;
  /** `npx vitest run ...` as a user would type it (with the environment in front). */
  command: string;
  exit: ChildExit;
  durationMs: number;
  /** undefined when the child wrote no readable report (reportError says why). */
  report: TestbenchReport | undefined;
  reportError?: string;
  reportFolder: string;
  /** The last lines of the child's output, for failure messages. */
  tail: string;
}

/**
 * The default gates with the timing ones lifted (p99 latency, throughput, share of the requested
 * rate): a child checks what a broker delivers, and its latency through a proxy in the test process,
 * on a machine shared with other runs, says nothing about a broker. Every delivery gate (loss,
 * duplicates, reordering, corruption) stays as in fixtures/gates/default.json.
 */
export function deliveryOnlyGates(): GateFile {
  // Laid over the defaults by MQTT_TESTBENCH_GATES, so a timing limit is lifted, not left out.
  const lift = (limits: GateLimits): GateLimits => {
    const lifted: GateLimits = { ...limits };
    for (const name of TIMING_LIMITS)
      if (limits[name] !== undefined) lifted[name] = name.startsWith('min') ? 0 : NO_LATENCY_LIMIT_MS;
    return lifted;
  };
  const gates: GateFile = {};
  for (const [suite, suiteGates] of Object.entries(loadGates(undefined).gates)) {
    gates[suite] = {
      defaults: lift(suiteGates.defaults),
      scenarios: Object.fromEntries(Object.entries(suiteGates.scenarios).map(([name, limits]) => [name, lift(limits)])),
    };
  }
  return gates;
}

const NO_LATENCY_LIMIT_MS = 3_600_000;

/** `gates` with a p99 latency limit on one scenario of one suite: the one timing gate a latency case checks. */
export function withLatencyGate(gates: GateFile, suite: string, scenario: string, maxP99Ms: number): GateFile {
  const suiteGates = gates[suite] ?? { defaults: {}, scenarios: {} };
  return {
    ...gates,
    [suite]: {
      ...suiteGates,
      scenarios: { ...suiteGates.scenarios, [scenario]: { ...suiteGates.scenarios[scenario], maxP99Ms } },
    },
  };
}

/** Where child reports go: `<this run's report folder>/selftest/<child run id>/`. */
export function childReportDir(): string {
  return resolve(REPO_ROOT, runReportFolder(runContext().runId), 'selftest');
}

export async function runChildSuites(request: ChildSuitesRequest): Promise<ChildSuitesOutcome> {
  const runId = `selftest-${request.label}-${randomBytes(3).toString('hex')}`;
  const reportDir = childReportDir();
  mkdirSync(reportDir, { recursive: true });
  const gatesFile = join(reportDir, `${runId}.gates.json`);
  writeFileSync(gatesFile, `${JSON.stringify(request.gates ?? deliveryOnlyGates(), null, 2)}\n`);
  const overrides: Record<string, string> = {
    MQTT_TESTBENCH_RUN_ID: runId,
    MQTT_TESTBENCH_REPORT_DIR: reportDir,
    MQTT_TESTBENCH_TARGETS: 'external',
    MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0: '0',
    MQTT_TESTBENCH_EXTERNAL_MQTT5: '1',
    MQTT_TESTBENCH_FORWARDER: 'reference',
    MQTT_TESTBENCH_PROFILE: 'ci',
    MQTT_TESTBENCH_GATES: gatesFile,
    // Nothing may be skipped silently: a skipped test would pass a defect.
    MQTT_TESTBENCH_STRICT: '1',
    MQTT_TESTBENCH_PROGRESS: 'off',
    NO_COLOR: '1',
    ...(request.external.url ? { MQTT_TESTBENCH_EXTERNAL_URL: request.external.url } : {}),
    ...(request.external.downstream ? { MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL: request.external.downstream } : {}),
    ...(request.external.upstream ? { MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL: request.external.upstream } : {}),
    ...request.env,
  };
  const env = childEnv(overrides);
  for (const name of NOT_INHERITED) if (!(name in overrides)) delete env[name];
  const args = [
    '--project',
    'suites-*',
    ...request.files,
    ...(request.testNamePattern ? ['-t', request.testNamePattern] : []),
  ];
  const shownEnv = Object.entries(overrides)
    .filter(
      ([name]) =>
        !['MQTT_TESTBENCH_RUN_ID', 'MQTT_TESTBENCH_REPORT_DIR', 'MQTT_TESTBENCH_PROGRESS', 'NO_COLOR'].includes(name),
    )
    .map(([name, value]) => `${name}=${value}`);
  const command = `${shownEnv.join(' ')} npx vitest run ${args.map((a) => (/^[\w./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`;

  const began = Date.now();
  const child = new ChildRun(args, env);
  // A test that times out or is interrupted ends its child too (its own watchdog then reaps the rest).
  (request.context?.onTestFinished ?? onTestFinished)(() => child.destroy());
  let exit: ChildExit;
  try {
    exit = await child.exit(request.timeoutMs);
  } catch (error) {
    child.destroy();
    throw new Error(
      `the child run ${runId} (${command}) did not finish within ${request.timeoutMs} ms:\n${child.tail()}`,
      { cause: error },
    );
  }
  const durationMs = Date.now() - began;
  const reportFolder = join(reportDir, runId);
  const reportPath = join(reportFolder, 'report.json');
  let report: TestbenchReport | undefined;
  let reportError: string | undefined;
  try {
    report = readReport(reportPath);
  } catch (error) {
    reportError = existsSync(reportPath) ? (error as Error).message : `the child wrote no ${reportPath}`;
  }
  return {
    runId,
    command,
    exit,
    durationMs,
    report,
    ...(reportError ? { reportError } : {}),
    reportFolder,
    tail: child.tail(60),
  };
}

/** `suite > describe > test`: what a failed test is called in assertion messages. */
export function failureName(failure: FailedTest): string {
  return failure.test.fullName;
}
