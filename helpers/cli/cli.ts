/**
 * The `mqtt-testbench` command: runs the benchmark and works with its reports.
 * Exit codes: 0 done; 1 the run or comparison failed (a regression); 2 wrong usage or an input
 * that is missing or not a report. Nothing here imports vitest: `bench` starts it as a process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { comparisonLabel, compareWithBaseline, describeFigure } from '../report/baseline.js';
import { overallVerdict } from '../report/build-report.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import { MergeError, mergeReports } from '../report/merge.js';
import { readReport, ReportReadError } from '../report/read-report.js';
import type { TestbenchReport } from '../report/report-types.js';
import { reportJsonSchema } from '../report/schema.js';
import { loadTolerances } from '../report/tolerances.js';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args.js';
import { flake } from './flake.js';
import { load, LOAD_HELP } from './load.js';
import { ShardMergeError } from '../load/shard/merge-shards.js';
import { readShardInputs, ShardFileError } from '../load/shard/shard-file.js';
import { mergeShards } from './merge-shards.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_BASELINE_DIR = 'fixtures/baselines';
export const SCHEMA_FILE = 'helpers/report/report.schema.json';

export const HELP = `mqtt-testbench: a test suite that is also a benchmark for MQTT brokers and forwarders

Usage:
  mqtt-testbench bench [--baseline FILE] [--force-baseline] [--tolerances FILE] [--profile ci|full] [vitest args...]
      Run the suites (vitest run) with the full profile. With --baseline, compare every scenario
      with that report.json: a regression beyond tolerance fails the run. Other arguments go to
      vitest, e.g. "mqtt-testbench bench suites/forwarding-loss -t heavy".
  mqtt-testbench baseline save [REPORT] [--to FILE] [--force]
      Store a report as a baseline. REPORT defaults to reports/latest/report.json; FILE to
      fixtures/baselines/<environment fingerprint>.json. --force stores a failed run too.
  mqtt-testbench compare CURRENT BASELINE [--force] [--tolerances FILE]
      Compare two report.json files; exit 1 on a regression. --force compares different environments.
  mqtt-testbench merge OUT IN1 IN2 [IN...] [--mode repeats|workers] [--force] [--render]
      Merge reports: counters summed, histograms merged exactly. repeats (default): runs one
      after another on one machine; workers: load from several machines at the same time.
      --render also writes the .md and .html next to OUT.
      With --mode workers the inputs may instead be the shards of one "load --shard K/N" run
      (--out files or logs with --log-result blocks): delivery recounted over all shards,
      histograms added; exit 1 naming any shard that is missing or failed.
  mqtt-testbench report render REPORT [--out DIR]
      Write report.md and report.html for a report.json (into DIR, default its folder).
  mqtt-testbench schema [--write]
      Print the JSON Schema of report.json (--write: update ${SCHEMA_FILE}).
  mqtt-testbench flake [--runs N] [--stop-on-failure] [vitest args...]
      Run the tests N times (default 10) and print per test how often it passed; exit 1 if any
      test failed in any run. Example: "mqtt-testbench flake --runs 20".
${LOAD_HELP}
  mqtt-testbench help

Environment: MQTT_TESTBENCH_BASELINE, MQTT_TESTBENCH_BASELINE_FORCE, MQTT_TESTBENCH_BASELINE_TOLERANCES,
MQTT_TESTBENCH_REPORT_DIR, MQTT_TESTBENCH_PROGRESS (see the README's configuration table).`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case 'bench':
        return await bench(rest, io);
      case 'baseline':
        if (rest[0] !== 'save')
          throw new UsageError(
            `baseline needs a subcommand: "baseline save [REPORT] [--to FILE]"${rest[0] ? `, not "${rest[0]}"` : ''}.`,
          );
        return baselineSave(rest.slice(1), io);
      case 'compare':
        return compare(rest, io);
      case 'merge':
        return merge(rest, io);
      case 'report':
        if (rest[0] !== 'render')
          throw new UsageError(
            `report needs a subcommand: "report render REPORT [--out DIR]"${rest[0] ? `, not "${rest[0]}"` : ''}.`,
          );
        return render(rest.slice(1), io);
      case 'schema':
        return schema(rest, io);
      case 'flake':
        return await flake(rest, io, findVitest(io.cwd));
      case 'load':
        return await load(rest, io);
      default:
        throw new UsageError(`unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mqtt-testbench ${command ?? ''}: ${error.message}\nRun "mqtt-testbench help" for usage.`);
      return 2;
    }
    if (error instanceof ReportReadError || error instanceof MergeError || error instanceof ShardFileError) {
      io.err(`mqtt-testbench ${command ?? ''}: ${error.message}`);
      return 2;
    }
    if (error instanceof ShardMergeError) {
      io.err(`mqtt-testbench ${command ?? ''}: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

// --- bench -------------------------------------------------------------------------------------

async function bench(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv,
    { baseline: { value: true }, 'force-baseline': {}, tolerances: { value: true }, profile: { value: true } },
    { passThrough: true },
  );
  const env: NodeJS.ProcessEnv = { ...io.env };
  const profile = stringFlag(args, 'profile') ?? 'full';
  if (!['ci', 'full'].includes(profile)) throw new UsageError(`--profile ${profile} is not a profile: use ci or full.`);
  env['MQTT_TESTBENCH_PROFILE'] = profile;
  const baseline = stringFlag(args, 'baseline');
  if (baseline) {
    const path = resolve(io.cwd, baseline);
    readReport(path); // fail before an hour of benchmarking, not after it
    env['MQTT_TESTBENCH_BASELINE'] = path;
  }
  if (args.flags.has('force-baseline')) env['MQTT_TESTBENCH_BASELINE_FORCE'] = '1';
  const tolerances = stringFlag(args, 'tolerances');
  if (tolerances) {
    loadTolerances(tolerances, io.cwd);
    env['MQTT_TESTBENCH_BASELINE_TOLERANCES'] = resolve(io.cwd, tolerances);
  }
  env['MQTT_TESTBENCH_COMMAND'] = ['mqtt-testbench', 'bench', ...argv].join(' ');
  const vitest = findVitest(io.cwd);
  const vitestArgs = ['run', ...args.positionals, ...args.rest];
  io.err(
    `mqtt-testbench bench: vitest ${vitestArgs.join(' ')} (profile ${profile}${baseline ? `, baseline ${baseline}` : ''})`,
  );
  const child = spawn(process.execPath, [vitest, ...vitestArgs], { cwd: io.cwd, env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** vitest's entry script in the nearest node_modules (run with this Node, no shell). */
function findVitest(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new UsageError(`vitest is not installed under ${cwd}: run "npm ci" in the mqtt-testbench folder first.`);
    dir = parent;
  }
}

// --- baseline save -----------------------------------------------------------------------------

function baselineSave(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { to: { value: true }, force: {} }, { maxPositionals: 1 });
  const reportDir = io.env['MQTT_TESTBENCH_REPORT_DIR']?.trim() || 'reports';
  const source = resolve(io.cwd, args.positionals[0] ?? join(reportDir, 'latest', 'report.json'));
  const report = readReport(source);
  if (report.verdict === 'fail' && !args.flags.has('force')) {
    io.err(
      `mqtt-testbench baseline save: ${source} is a failed run (${failureSummary(report)}); a baseline should be a run you accept. Use --force to store it anyway.`,
    );
    return 1;
  }
  const { baseline: _previous, ...stored } = report;
  const target = resolve(
    io.cwd,
    stringFlag(args, 'to') ?? join(DEFAULT_BASELINE_DIR, `${report.environment.fingerprint.id}.json`),
  );
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(stored, null, 2)}\n`);
  io.out(
    `Saved run ${report.run.id} (${report.results.length} scenarios, environment ${report.environment.fingerprint.id}) as baseline ${target}`,
  );
  io.out(`Compare later runs with: npm run bench -- --baseline ${relativeTo(io.cwd, target)}`);
  return 0;
}

// --- compare -----------------------------------------------------------------------------------

function compare(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { force: {}, tolerances: { value: true } }, { maxPositionals: 2 });
  if (args.positionals.length < 2) throw new UsageError('compare needs two reports: compare CURRENT BASELINE.');
  const [currentPath, baselinePath] = args.positionals as [string, string];
  const current = readReport(resolve(io.cwd, currentPath));
  const baseline = readReport(resolve(io.cwd, baselinePath));
  const tolerances = loadTolerances(
    stringFlag(args, 'tolerances') ?? io.env['MQTT_TESTBENCH_BASELINE_TOLERANCES'],
    io.cwd,
  );
  const section = compareWithBaseline(current, baseline, {
    force: args.flags.has('force'),
    tolerances,
    baselineFile: baselinePath,
  });
  io.out(section.message);
  if (section.verdict === 'refused') return 1;
  for (const c of section.comparisons) {
    const marks = c.figures.map(
      (f) =>
        `${f.status === 'regressed' ? '✗' : f.status === 'improved' ? '+' : f.status === 'untrusted' ? '?' : ' '} ${describeFigure(f)}`,
    );
    io.out(
      `${c.status === 'regressed' ? '✗' : c.status === 'untrusted' ? '?' : '✓'} ${comparisonLabel(c)}${c.status === 'untrusted' ? ' (untrusted: the harness was saturated)' : ''}\n    ${marks.join('\n    ')}`,
    );
  }
  const list = (keys: readonly string[]): string =>
    `${keys.slice(0, 5).join('; ')}${keys.length > 5 ? `; and ${keys.length - 5} more` : ''}`;
  if (section.missing.length > 0)
    io.out(`${section.missing.length} scenario(s) not in ${currentPath}: ${list(section.missing)}`);
  if (section.added.length > 0)
    io.out(`${section.added.length} scenario(s) not in ${baselinePath}: ${list(section.added)}`);
  return section.verdict === 'pass' ? 0 : 1;
}

// --- merge -------------------------------------------------------------------------------------

function merge(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { mode: { value: true }, force: {}, render: {} });
  const [out, ...inputs] = args.positionals;
  if (!out || inputs.length < 1)
    throw new UsageError(
      'merge needs an output file and its inputs: merge OUT IN1 IN2 [IN...] (reports), merge --mode workers OUT SHARD... (shard results).',
    );
  if (!out.endsWith('.json'))
    throw new UsageError(`the output ${out} should be a .json file (the inputs come after it).`);
  const mode = stringFlag(args, 'mode') ?? 'repeats';
  if (mode !== 'repeats' && mode !== 'workers')
    throw new UsageError(`--mode ${mode} is not a mode: use repeats or workers.`);
  const shardInputs = inputs.map((file) => ({ file, shards: readShardInputs(resolve(io.cwd, file), file) }));
  if (shardInputs.some((input) => input.shards !== null)) {
    const reportFile = shardInputs.find((input) => input.shards === null)?.file;
    if (reportFile !== undefined)
      throw new UsageError(`${reportFile} is not a shard result, the other inputs are: merge one kind at a time.`);
    if (mode !== 'workers')
      throw new UsageError(
        'these are results of "load --shard K/N" runs, which ran at the same time: use --mode workers.',
      );
    if (args.flags.has('render')) throw new UsageError('--render is for reports; a merged load result is JSON only.');
    return mergeShards(
      out,
      shardInputs.map((input) => ({ file: input.file, shards: input.shards ?? [] })),
      io,
    );
  }
  const reports = inputs.map((file) => ({ file, report: readReport(resolve(io.cwd, file)) }));
  const merged = mergeReports(reports, {
    mode,
    force: args.flags.has('force'),
    command: ['mqtt-testbench', 'merge', ...argv].join(' '),
  });
  const target = resolve(io.cwd, out);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(merged, null, 2)}\n`);
  io.out(
    `Merged ${reports.length} reports (${mode}) into ${target}: ${merged.results.length} scenarios, verdict ${merged.verdict}.`,
  );
  if (args.flags.has('render')) {
    const base = target.slice(0, -'.json'.length);
    writeFileSync(`${base}.md`, renderMarkdown(merged));
    writeFileSync(`${base}.html`, renderHtml(merged));
    io.out(`Rendered ${base}.md and ${base}.html`);
  }
  return 0;
}

// --- report render -----------------------------------------------------------------------------

function render(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv, { out: { value: true } }, { maxPositionals: 1 });
  const input = args.positionals[0];
  if (!input) throw new UsageError('report render needs a report.json: report render REPORT [--out DIR].');
  const source = resolve(io.cwd, input);
  const report = readReport(source);
  // A report rendered again after a re-comparison or a hand edit: keep its verdict honest.
  report.verdict = overallVerdict(report);
  const folder = resolve(io.cwd, stringFlag(args, 'out') ?? dirname(source));
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'report.md'), renderMarkdown(report));
  writeFileSync(join(folder, 'report.html'), renderHtml(report));
  io.out(
    `Wrote ${join(folder, 'report.md')} and ${join(folder, 'report.html')} from ${basename(source)} (run ${report.run.id}).`,
  );
  return 0;
}

// --- schema ------------------------------------------------------------------------------------

function schema(argv: readonly string[], io: CliIo): number {
  const args: ParsedArgs = parseArgs(argv, { write: {} }, { maxPositionals: 0 });
  const text = `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
  if (args.flags.has('write')) {
    const target = resolve(io.cwd, SCHEMA_FILE);
    writeFileSync(target, text);
    io.out(`Wrote ${target}`);
  } else {
    io.out(text.trimEnd());
  }
  return 0;
}

function failureSummary(report: TestbenchReport): string {
  const parts = [`${report.tests.failed} failed test(s)`];
  if (report.baseline && report.baseline.verdict !== 'pass') parts.push(`baseline ${report.baseline.verdict}`);
  if (report.run.errors.length > 0) parts.push(`${report.run.errors.length} error(s) outside tests`);
  return parts.join(', ');
}

function relativeTo(cwd: string, path: string): string {
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}
