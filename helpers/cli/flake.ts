/**
 * `mqtt-testbench flake --runs N [vitest args...]`: runs the ci profile N times and prints, per
 * test, how often it passed. A test that fails even once is flaky (or broken); the run exits 1.
 * Fixes belong in the tests (bounded waits, tolerances grounded in measurement), never in retries:
 * vitest's retry is not used here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../config/settings.js';
import { loadReportSettings } from '../report/report-settings.js';
import { UsageError, type ParsedArgs } from './args.js';
import { defineCommand, type CliIo } from './command.js';
import { freshRunEnv, packageRoot, runVitest } from './vitest-child.js';

interface JsonAssertion {
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo' | 'disabled';
  failureMessages?: string[];
}
interface JsonReport {
  success: boolean;
  numFailedTests: number;
  testResults: { name: string; status?: string; message?: string; assertionResults: JsonAssertion[] }[];
}

export interface TestTally {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  firstFailure?: string;
}

const FLAKE_OPTIONS = {
  runs: { type: 'string', valueName: 'N', description: 'how many runs (default 10, at most 1000)' },
  'stop-on-failure': { type: 'boolean', description: 'stop after the first run with a failure' },
} as const;

export const flakeCommand = defineCommand({
  name: 'flake',
  summary: 'run the tests N times and print per test how often it passed',
  usage: ['flake [--runs N] [--stop-on-failure] [vitest args...]'],
  description: `Runs the tests (vitest run, the ci profile unless MQTT_TESTBENCH_PROFILE says otherwise) N
times and prints per test how often it passed. Arguments it does not know go to vitest, e.g.
"mqtt-testbench flake --runs 20 suites/faults".`,
  options: FLAKE_OPTIONS,
  parse: { rest: 'unknown' },
  exitCodes: '0 every test passed in every run; 1 a test failed in some run; 2 bad input; 130 interrupted.',
  run: flake,
});

async function flake(args: ParsedArgs<typeof FLAKE_OPTIONS>, io: CliIo): Promise<number> {
  const env = freshRunEnv(io.env);
  loadSettings(env);
  loadReportSettings(env);
  const runsText = args.values.runs ?? '10';
  if (!/^\d+$/.test(runsText) || Number(runsText) < 1 || Number(runsText) > 1000)
    throw new UsageError(`--runs ${runsText} is not a number of runs: use an integer from 1 to 1000.`);
  const runs = Number(runsText);
  const dir = mkdtempSync(join(tmpdir(), 'mtb-flake-'));
  const tallies = new Map<string, TestTally>();
  const fileErrors: string[] = [];
  let failedRuns = 0;
  let completed = 0;
  // Ctrl-C (or SIGTERM) stops the current run like it stops vitest, and then the whole series:
  // the tallies so far are printed and the exit code says it was interrupted.
  let stopSignal: NodeJS.Signals | undefined;
  const interrupt = (signal: NodeJS.Signals): void => {
    stopSignal ??= signal;
  };
  // A function, not the variable: the handlers set it while the loop awaits.
  const interrupted = (): NodeJS.Signals | undefined => stopSignal;
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    for (let run = 1; run <= runs && !interrupted(); run += 1) {
      const output = join(dir, `run-${run}.json`);
      const started = Date.now();
      const code = await runVitest(
        ['run', '--reporter=json', `--outputFile=${output}`, ...args.positionals, ...args.rest],
        { cwd: packageRoot(), env, stdout: 'ignore' },
      );
      const signal = interrupted();
      if (signal) {
        io.out(`run ${run}/${runs}: interrupted (${signal}); not counted`);
        break;
      }
      completed = run;
      const report = readJson(output);
      if (!report) {
        failedRuns += 1;
        fileErrors.push(`run ${run}: vitest exited with code ${code} and wrote no results`);
        io.out(`run ${run}/${runs}: vitest exited with code ${code} and wrote no results`);
      } else {
        const counts = tally(report, tallies);
        for (const file of report.testResults) {
          if (file.message) fileErrors.push(`run ${run}: ${file.name}: ${file.message.split('\n')[0]}`);
          else if (file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed')) {
            // A hook (beforeAll) failed: vitest marks the file failed, skips its tests and gives no message here.
            fileErrors.push(
              `run ${run}: ${file.name}: failed outside its tests (a beforeAll/afterAll hook); its tests were skipped`,
            );
          }
        }
        if (code !== 0 || counts.failed > 0) failedRuns += 1;
        io.out(
          `run ${run}/${runs}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${((Date.now() - started) / 1000).toFixed(0)} s, exit ${code})`,
        );
      }
      if (failedRuns > 0 && args.values['stop-on-failure']) break;
    }
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    rmSync(dir, { recursive: true, force: true });
  }
  io.out(formatTallies([...tallies.values()], completed, failedRuns, fileErrors));
  if (interrupted()) {
    io.out(`flake: interrupted after ${completed} of ${runs} run(s).`);
    return 130;
  }
  return failedRuns === 0 ? 0 : 1;
}

function readJson(path: string): JsonReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JsonReport;
  } catch {
    return undefined; // vitest died before writing: reported by the caller as a failed run
  }
}

export function tally(
  report: JsonReport,
  tallies: Map<string, TestTally>,
): { passed: number; failed: number; skipped: number } {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      const entry = tallies.get(test.fullName) ?? { name: test.fullName, passed: 0, failed: 0, skipped: 0 };
      if (test.status === 'passed') {
        entry.passed += 1;
        counts.passed += 1;
      } else if (test.status === 'failed') {
        entry.failed += 1;
        counts.failed += 1;
        entry.firstFailure ??= (test.failureMessages?.[0] ?? '').split('\n')[0];
      } else {
        entry.skipped += 1;
        counts.skipped += 1;
      }
      tallies.set(test.fullName, entry);
    }
  }
  return counts;
}

export function formatTallies(tallies: TestTally[], runs: number, failedRuns: number, fileErrors: string[]): string {
  const flaky = tallies.filter((t) => t.failed > 0).sort((a, b) => b.failed - a.failed);
  const ran = tallies.filter((t) => t.passed + t.failed > 0).length;
  const lines = [
    '',
    `flake: ${runs} run(s), ${failedRuns} with failures; ${ran} tests ran, ${flaky.length} failed at least once.`,
  ];
  if (flaky.length > 0) {
    lines.push(
      '',
      'passed/ran  test',
      ...flaky.map(
        (t) =>
          `${String(t.passed).padStart(3)}/${String(t.passed + t.failed).padEnd(6)}  ${t.name}\n             first failure: ${t.firstFailure ?? '(no message)'}`,
      ),
    );
  }
  // A test that ran in some runs and skipped itself in others may be hiding a failure behind a
  // condition (a stale build, a missing image): it is listed so that someone looks.
  const unsteady = tallies.filter((t) => t.skipped > 0 && t.passed + t.failed > 0);
  if (unsteady.length > 0) {
    lines.push(
      '',
      `${unsteady.length} test(s) ran in some runs and were skipped in others:`,
      ...unsteady.map((t) => `  ran ${t.passed + t.failed}, skipped ${t.skipped}  ${t.name}`),
    );
  }
  if (fileErrors.length > 0) lines.push('', 'errors outside tests:', ...fileErrors.map((e) => `  ${e}`));
  return lines.join('\n');
}
