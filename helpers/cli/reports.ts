/**
 * The commands that work with reports: baseline save, compare, merge, report render, schema.
 */
import { readShardInputs } from '../load/shard/shard-file.js';
import { mergeShards } from './merge-shards.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { comparisonLabel, compareWithBaseline, describeFigure } from '../report/baseline.js';
import { overallVerdict } from '../report/build-report.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import { mergeReports } from '../report/merge.js';
import { readReport } from '../report/read-report.js';
import type { TestbenchReport } from '../report/report-types.js';
import { DECLARATION_SCHEMA_FILE, declarationJsonSchema } from '../forwarders/declaration-file.js';
import { reportJsonSchema } from '../report/schema.js';
import { loadReportSettings } from '../report/report-settings.js';
import { loadTolerances } from '../report/tolerances.js';
import { UsageError } from './args.js';
import { defineCommand } from './command.js';
import { didYouMean } from './suggest.js';

export const DEFAULT_BASELINE_DIR = 'fixtures/baselines';
export const SCHEMA_FILE = 'helpers/report/report.schema.json';

export const baselineSaveCommand = defineCommand({
  name: 'baseline save',
  summary: 'store a report as the baseline later runs are compared with',
  usage: ['baseline save [REPORT] [--to FILE] [--force]'],
  description: `Stores a report.json as a baseline. REPORT defaults to reports/latest/report.json (under
$MQTT_TESTBENCH_REPORT_DIR when set); FILE to fixtures/baselines/<environment fingerprint>.json.`,
  options: {
    to: { type: 'string', valueName: 'FILE', description: 'where to store it' },
    force: { type: 'boolean', description: 'store a failed run too' },
  },
  parse: { maxPositionals: 1 },
  exitCodes: '0 stored; 1 the report is a failed run (without --force); 2 bad input.',
  run(args, io) {
    const { reportDir } = loadReportSettings(io.env);
    const source = resolve(io.cwd, args.positionals[0] ?? join(reportDir, 'latest', 'report.json'));
    const report = readReport(source);
    if (report.verdict === 'fail' && !args.values.force) {
      io.err(
        `mqtt-testbench baseline save: ${source} is a failed run (${failureSummary(report)}); a baseline should be a run you accept. Use --force to store it anyway.`,
      );
      return 1;
    }
    const { baseline: _previous, ...stored } = report;
    const target = resolve(
      io.cwd,
      args.values.to ?? join(DEFAULT_BASELINE_DIR, `${report.environment.fingerprint.id}.json`),
    );
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(stored, null, 2)}\n`);
    io.out(
      `Saved run ${report.run.id} (${report.results.length} scenarios, environment ${report.environment.fingerprint.id}) as baseline ${target}`,
    );
    io.out(`Compare later runs with: npm run bench -- --baseline ${relativeTo(io.cwd, target)}`);
    return 0;
  },
});

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'compare two reports scenario by scenario; exit 1 on a regression',
  usage: ['compare CURRENT BASELINE [--force] [--tolerances FILE]'],
  description: `Compares two report.json files scenario by scenario (latency, throughput, loss) within the
tolerances, and prints the deltas.`,
  options: {
    force: { type: 'boolean', description: 'compare different environments (runtime, CPUs, profile, versions)' },
    tolerances: {
      type: 'string',
      valueName: 'FILE',
      description:
        'tolerance file (default $MQTT_TESTBENCH_BASELINE_TOLERANCES,\nelse fixtures/baselines/tolerances.json)',
    },
  },
  parse: { maxPositionals: 2 },
  exitCodes: '0 no regression; 1 a regression, or the environments differ (without --force); 2 bad input.',
  run(args, io) {
    if (args.positionals.length < 2) throw new UsageError('compare needs two reports: compare CURRENT BASELINE.');
    const [currentPath, baselinePath] = args.positionals as [string, string];
    const settings = loadReportSettings(io.env);
    const current = readReport(resolve(io.cwd, currentPath));
    const baseline = readReport(resolve(io.cwd, baselinePath));
    const tolerances = checkedTolerances(args.values.tolerances ?? settings.tolerancesFile, io.cwd);
    const section = compareWithBaseline(current, baseline, {
      force: Boolean(args.values.force),
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
  },
});

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'merge reports exactly (counters summed, histograms merged)',
  usage: [
    'merge OUT IN1 IN2 [IN...] [--mode repeats|workers] [--force] [--render]',
    'merge --mode workers OUT SHARD...',
  ],
  description: `Merges reports: counters summed, latency histograms merged from their encoded form (never
averaged). repeats (default): runs one after another on one machine; workers: load generated
from several machines at the same time. With --mode workers the inputs may instead be the shards
of one "load --shard K/N" run (--out files, or logs with --log-result blocks): delivery recounted
over all shards, histograms added; exit 1 naming any shard that is missing or failed.`,
  options: {
    mode: { type: 'string', valueName: 'repeats|workers', description: 'how the inputs relate (default repeats)' },
    force: { type: 'boolean', description: 'merge reports of different environments' },
    render: { type: 'boolean', description: 'also write the .md and .html next to OUT' },
  },
  run(args, io) {
    const [out, ...inputs] = args.positionals;
    if (!out || inputs.length < 1)
      throw new UsageError(
        'merge needs an output file and its inputs: merge OUT IN1 IN2 [IN...] (reports), merge --mode workers OUT SHARD... (shard results).',
      );
    if (!out.endsWith('.json'))
      throw new UsageError(`the output ${out} should be a .json file (the inputs come after it).`);
    const mode = args.values.mode ?? 'repeats';
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
      if (args.values.render) throw new UsageError('--render is for reports; a merged load result is JSON only.');
      return mergeShards(
        out,
        shardInputs.map((input) => ({ file: input.file, shards: input.shards ?? [] })),
        io,
      );
    }
    if (inputs.length < 2)
      throw new UsageError('merge needs an output file and at least two reports: merge OUT IN1 IN2 [IN...].');
    const reports = inputs.map((file) => ({ file, report: readReport(resolve(io.cwd, file)) }));
    const merged = mergeReports(reports, {
      mode,
      force: Boolean(args.values.force),
      command: ['mqtt-testbench', 'merge', ...args.argv].join(' '),
    });
    const target = resolve(io.cwd, out);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(merged, null, 2)}\n`);
    io.out(
      `Merged ${reports.length} reports (${mode}) into ${target}: ${merged.results.length} scenarios, verdict ${merged.verdict}.`,
    );
    if (args.values.render) {
      const base = target.slice(0, -'.json'.length);
      writeFileSync(`${base}.md`, renderMarkdown(merged));
      writeFileSync(`${base}.html`, renderHtml(merged));
      io.out(`Rendered ${base}.md and ${base}.html`);
    }
    return 0;
  },
});

export const reportRenderCommand = defineCommand({
  name: 'report render',
  summary: 'write report.md and report.html for a report.json',
  usage: ['report render REPORT [--out DIR]'],
  description: 'Writes report.md and report.html for a report.json (its verdict recomputed from its contents).',
  options: {
    out: { type: 'string', short: 'o', valueName: 'DIR', description: "folder to write into (default the report's)" },
  },
  parse: { maxPositionals: 1 },
  run(args, io) {
    const input = args.positionals[0];
    if (!input) throw new UsageError('report render needs a report.json: report render REPORT [--out DIR].');
    const source = resolve(io.cwd, input);
    const report = readReport(source);
    // A report rendered again after a re-comparison or a hand edit: keep its verdict honest.
    report.verdict = overallVerdict(report);
    const folder = resolve(io.cwd, args.values.out ?? dirname(source));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'report.md'), renderMarkdown(report));
    writeFileSync(join(folder, 'report.html'), renderHtml(report));
    io.out(
      `Wrote ${join(folder, 'report.md')} and ${join(folder, 'report.html')} from ${basename(source)} (run ${report.run.id}).`,
    );
    return 0;
  },
});

/** The JSON Schemas this command prints, each generated from its zod schema and committed. */
const SCHEMAS = {
  report: { file: SCHEMA_FILE, generate: reportJsonSchema, what: 'report.json' },
  declaration: {
    file: DECLARATION_SCHEMA_FILE,
    generate: declarationJsonSchema,
    what: 'a forwarder declaration file (--declaration, MQTT_TESTBENCH_FORWARDER_DECLARATION)',
  },
} as const;

export const schemaCommand = defineCommand({
  name: 'schema',
  summary: 'print the JSON Schema of report.json or of a forwarder declaration',
  usage: ['schema [report|declaration] [--write]'],
  description: `Prints the JSON Schema that every report.json is checked against (report, the default), or
the one of a forwarder declaration file (declaration; docs/forwarder-declaration.md).`,
  options: {
    write: {
      type: 'boolean',
      description: `update the committed file (${SCHEMA_FILE} or\n${DECLARATION_SCHEMA_FILE}) instead of printing`,
    },
  },
  parse: { maxPositionals: 1 },
  run(args, io) {
    const name = args.positionals[0] ?? 'report';
    if (name !== 'report' && name !== 'declaration')
      throw new UsageError(
        `schema ${name}: there is a schema of "report" and of "declaration"${didYouMean(name, Object.keys(SCHEMAS)) || '.'}`,
      );
    const schema = SCHEMAS[name];
    const text = `${JSON.stringify(schema.generate(), null, 2)}\n`;
    if (args.values.write) {
      const target = resolve(io.cwd, schema.file);
      writeFileSync(target, text);
      io.out(`Wrote ${target}`);
    } else {
      io.out(text.trimEnd());
    }
    return 0;
  },
});

/** The tolerance file, or a UsageError that says what is wrong with it (exit 2). */
export function checkedTolerances(file: string | undefined, cwd: string): ReturnType<typeof loadTolerances> {
  try {
    return loadTolerances(file, cwd);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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
