/**
 * The testbench reporter (vitest main process). At the end of a run that included the `suites`
 * project it collects every test with the results it attached (`task.meta.testbench`), builds
 * report.json with the run plan the global setup provided, compares with a baseline when one is
 * given, writes report.json / report.md / report.html to `<reportDir>/<run id>/` and a copy to
 * `<reportDir>/latest/`, appends the Markdown to $GITHUB_STEP_SUMMARY, and prints a short summary.
 * A baseline regression (or a refused comparison) fails the run through `process.exitCode`,
 * which vitest 4 leaves in place (it only ever sets it to 1 itself).
 *
 * Runs without any `suites` test (e.g. `vitest run --project unit`) write no report: there is
 * nothing to report, and reports/latest keeps the last benchmark.
 *
 * It also hosts live progress (progress-hub.ts) for the workers' load runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import { configuredSecrets } from '../config/settings.js';
import { RUNS_ROOT } from '../runtime/run-context.js';
import { readRunSecrets } from '../targets/security-material.js';
import { redact, redactDeep } from '../security/redact.js';
import type { RunPlan } from '../testbed/run-plan.js';
import './vitest-context.js';
import { compareWithBaseline } from './baseline.js';
import { buildReport, overallVerdict, type CollectedTest } from './build-report.js';
import { renderConsoleSummary } from './console-summary.js';
import { addSkipReasons } from './junit-skips.js';
import { renderMarkdown } from './markdown.js';
import { PROGRESS_SOCKET_ENV } from '../load/progress.js';
import { ProgressHub } from './progress-hub.js';
import { readReport } from './read-report.js';
import type { FileTiming, TestbenchReport, TestState } from './report-types.js';
import { loadReportSettings, type ReportSettings } from './report-settings.js';
import { loadTolerances } from './tolerances.js';
import { appendStepSummary, updateLatest, writeReportFiles } from './write-report.js';

export interface TestbenchReporterOptions {
  /** Projects whose tests make up the report. Default: the suites projects. */
  projects?: string[];
  /** Print the summary table at the end. Default true. */
  consoleSummary?: boolean;
  /** Environment to read settings from (tests). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The run's report folder, as the vitest config also needs it for JUnit's output file. */
export function runReportFolder(
  runId: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return join(env['MQTT_TESTBENCH_REPORT_DIR']?.trim() || 'reports', runId);
}

interface SummaryHost {
  summary?: { createSummary?: () => string[] };
}

export class TestbenchReporter implements Reporter {
  private vitest!: Vitest;
  private settings!: ReportSettings;
  private startedAt = new Date();
  /** When each test file began running (its tests and hooks, after collection). */
  private readonly began = new WeakMap<TestModule, number>();
  private hub: ProgressHub | undefined;
  private written: { folder: string; report: TestbenchReport } | undefined;
  /** The run's broker passwords (read while the run's folder still exists), scrubbed from every file written. */
  private secrets: string[] = [];
  private readonly options: Required<Omit<TestbenchReporterOptions, 'env'>> & { env: NodeJS.ProcessEnv };

  constructor(options: TestbenchReporterOptions = {}) {
    this.options = {
      projects: options.projects ?? ['suites-behaviour', 'suites-measure'],
      consoleSummary: options.consoleSummary ?? true,
      env: options.env ?? process.env,
    };
  }

  // vitest awaits onInit (Vitest.report awaits every reporter's hook), so the progress socket is
  // listening before any worker starts.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  async onInit(vitest: Vitest): Promise<void> {
    this.vitest = vitest;
    this.startedAt = new Date();
    // Invalid MQTT_TESTBENCH_* report settings stop the run here, before anything starts.
    this.settings = loadReportSettings(this.options.env);
    vitest.onClose(() => this.onClose());
    await this.startProgress();
  }

  onTestRunStart(): void {
    this.startedAt = new Date();
  }

  onTestModuleStart(module: TestModule): void {
    this.began.set(module, Date.now());
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    try {
      this.report(testModules, unhandledErrors, reason);
    } catch (error) {
      process.exitCode = 1;
      this.vitest.logger.error(
        `mqtt-testbench: writing the report failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }

  private report(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const modules = testModules.filter((m) => this.options.projects.includes(m.project.name));
    const plan = this.plan();
    if (modules.length === 0 && !plan) return;
    const root = this.vitest.config.root;
    const runId = plan?.runId ?? this.options.env['MQTT_TESTBENCH_RUN_ID'] ?? `run-${this.startedAt.getTime()}`;
    const tests = modules.flatMap((m) => [...m.children.allTests()].map((t) => collectTest(t, root)));
    const files = testModules.map((m) => fileTiming(m, root, this.began.get(m), this.startedAt.getTime()));
    const errors = [
      ...unhandledErrors.map((e) => `unhandled error: ${errorText(e)}`),
      ...modules.flatMap((m) => suiteErrors(m, root)),
    ];

    // Last line of defence: whatever a test, an error or a log tail carried, no report file holds
    // a password of the run's brokers (nor a URL password or a config password field).
    this.secrets = [...readRunSecrets(join(RUNS_ROOT, runId)), ...configuredSecrets(this.options.env)];
    const report = redactDeep(
      buildReport({
        runId,
        plan,
        tests,
        startedAt: this.startedAt,
        finishedAt: new Date(),
        state: reason,
        errors,
        command: this.options.env['MQTT_TESTBENCH_COMMAND'] ?? commandLine(this.options.env),
        generatorVersion: packageVersion(root),
        env: this.options.env,
        files,
      }),
      this.secrets,
    );
    this.compareBaseline(report, root);

    const folder = resolve(root, this.settings.reportDir, runId);
    writeReportFiles(report, folder);
    this.written = { folder, report };
    appendStepSummary(renderMarkdown(report), this.options.env);

    if (this.options.consoleSummary) {
      this.vitest.logger.log(
        renderConsoleSummary(report, {
          reportFolder: relative(process.cwd(), folder) || '.',
          latestFolder: relative(process.cwd(), join(resolve(root, this.settings.reportDir), 'latest')),
          width: process.stdout.columns || 160,
        }),
      );
    }
    if (report.baseline && report.baseline.verdict !== 'pass') {
      // Tests passed but the comparison says no: the run must fail, and say why.
      process.exitCode = 1;
      this.vitest.logger.error(
        report.baseline.verdict === 'refused'
          ? 'mqtt-testbench: the baseline comparison was refused (see above), so the run fails.'
          : `mqtt-testbench: ${report.baseline.regressions} regression(s) against the baseline (listed above and in report.md), so the run fails.`,
      );
    } else if (report.verdict === 'fail' && process.exitCode !== 1) {
      process.exitCode = 1;
      this.vitest.logger.error('mqtt-testbench: the report verdict is FAIL (see report.md), so the run fails.');
    }
  }

  private compareBaseline(report: TestbenchReport, root: string): void {
    const file = this.settings.baseline;
    if (!file) return;
    try {
      const baseline = readReport(resolve(root, file));
      const tolerances = loadTolerances(this.settings.tolerancesFile, root);
      report.baseline = compareWithBaseline(report, baseline, {
        force: this.settings.baselineForce,
        tolerances,
        baselineFile: file,
      });
    } catch (error) {
      report.run.errors.push(`baseline: ${error instanceof Error ? error.message : String(error)}`);
    }
    report.verdict = overallVerdict(report);
  }

  private plan(): RunPlan | undefined {
    for (const name of this.options.projects) {
      const project = this.vitest.projects.find((p) => p.name === name);
      const plan = project?.getProvidedContext().plan;
      if (plan) return plan;
    }
    return undefined;
  }

  /** After every reporter finished (JUnit included): add skip reasons to junit.xml, copy the run's folder to latest/. */
  private async onClose(): Promise<void> {
    await this.hub?.stop();
    this.hub = undefined;
    if (!this.written) return;
    try {
      const junit = join(this.written.folder, 'junit.xml');
      if (existsSync(junit)) {
        const skips = this.written.report.skipped.map((s) => ({
          file: s.test.file,
          fullName: s.test.fullName,
          reason: s.reason,
        }));
        const original = readFileSync(junit, 'utf8');
        const { xml } = addSkipReasons(original, skips);
        // vitest's JUnit reporter wrote failure messages as they were: scrub them like the report.
        const scrubbed = redact(xml, this.secrets);
        if (scrubbed !== original) writeFileSync(junit, scrubbed);
      }
      updateLatest(resolve(this.vitest.config.root, this.settings.reportDir), this.written.folder);
    } catch (error) {
      process.exitCode = 1;
      this.vitest.logger.error(`mqtt-testbench: copying the report to latest/ failed: ${(error as Error).message}`);
    }
  }

  private async startProgress(): Promise<void> {
    const mode = this.settings.progress;
    if (mode === 'off') return;
    // `reporters` is not in vitest's public types; look for its default reporter's live summary defensively.
    const reporters = (this.vitest as unknown as { reporters?: unknown[] }).reporters ?? [];
    const host = reporters.find((r) => typeof (r as SummaryHost).summary?.createSummary === 'function') as
      SummaryHost | undefined;
    const terminal = mode === 'tty' || (mode === 'auto' && Boolean(process.stdout.isTTY) && !this.options.env['CI']);
    const useWindow = terminal && host?.summary !== undefined;
    const hub = new ProgressHub(useWindow ? 'window' : 'plain', this.settings.progressIntervalMs, (line) =>
      this.vitest.logger.error(line),
    );
    try {
      await hub.start();
    } catch (error) {
      this.vitest.logger.warn(`mqtt-testbench: live progress is off: ${(error as Error).message}`);
      return;
    }
    this.hub = hub;
    // Workers are started after onInit and inherit this process's environment.
    process.env[PROGRESS_SOCKET_ENV] = hub.socketPath;
    const summary = host?.summary;
    const createSummary = summary?.createSummary;
    if (useWindow && summary && createSummary) {
      // vitest's live summary (a private part of its default reporter) redraws its window every
      // second from createSummary(); the running scenarios join that window instead of fighting it.
      const original = createSummary.bind(summary);
      summary.createSummary = () => {
        const lines = original();
        const progress = hub.windowLines();
        // The trailing empty row leaves the cursor in column 0, so the renderer's erase-to-end-of-line
        // clears whole rows when it redraws (the progress rows are longer than vitest's own last row).
        return progress.length > 0 ? [...lines, '', ...progress, ''] : lines;
      };
    }
  }
}

/** A test file's time (tests and hooks) and, where it marked them, its phases. */
function fileTiming(module: TestModule, root: string, began: number | undefined, runBegan: number): FileTiming {
  const phases = module.meta().phases;
  return {
    file: relative(root, module.moduleId),
    project: module.project.name,
    durationMs: Math.round(module.diagnostic().duration),
    ...(began !== undefined ? { beganMs: Math.max(0, began - runBegan) } : {}),
    ...(phases ? { phases } : {}),
  };
}

function collectTest(testCase: TestCase, root: string): CollectedTest {
  const result = testCase.result();
  const diagnostic = testCase.diagnostic();
  const state: TestState = result.state;
  const ref: CollectedTest['ref'] = {
    name: testCase.name,
    fullName: testCase.fullName,
    file: relative(root, testCase.module.moduleId),
    project: testCase.project.name,
    state,
    durationMs: Math.round(diagnostic?.duration ?? 0),
  };
  if (result.state === 'failed') ref.error = result.errors.map((e) => errorText(e)).join('\n');
  if (diagnostic?.repeatCount) ref.repeatCount = diagnostic.repeatCount;
  if (diagnostic?.retryCount) ref.retryCount = diagnostic.retryCount;
  const collected: CollectedTest = { id: testCase.id, ref, results: [...(testCase.meta().testbench ?? [])] };
  if (result.state === 'skipped' && result.note) collected.skipNote = result.note;
  return collected;
}

/** Errors of hooks (a broker that did not start in beforeAll) and of files that did not load. */
function suiteErrors(module: TestModule, root: string): string[] {
  const file = relative(root, module.moduleId);
  const errors = module.errors().map((e) => `${file}: ${errorText(e)}`);
  for (const suite of module.children.allSuites()) {
    for (const e of suite.errors()) errors.push(`${file} > ${suite.fullName}: ${errorText(e)}`);
  }
  return errors;
}

function errorText(error: { message?: string; name?: string } | undefined): string {
  if (!error) return 'unknown error';
  return stripVTControlCharacters(
    `${error.name && error.name !== 'Error' && error.name !== 'AssertionError' ? `${error.name}: ` : ''}${error.message ?? 'unknown error'}`,
  );
}

function commandLine(env: NodeJS.ProcessEnv): string {
  const vitest = `vitest ${process.argv.slice(2).join(' ')}`.trim();
  // npm test / npm run bench set the script name; npx (npm exec) is just vitest.
  const event = env['npm_lifecycle_event'];
  if (!event || env['npm_command'] === 'exec' || event === 'npx') return vitest;
  return `${event === 'test' ? 'npm test' : `npm run ${event}`} (${vitest})`;
}

function packageVersion(root: string): string {
  const file = join(root, 'package.json');
  if (!existsSync(file)) return 'unknown';
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
