/**
 * `mqtt-testbench report figures`: the key figures of a report.json as a Markdown section, or as
 * the small JSON the docs are generated from (docs/figures/), and the update of a document's
 * section from such a JSON. See docs/benchmarks.md.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseReport } from '../report/read-report.js';
import type { TestbenchReport } from '../report/report-types.js';
import { UsageError } from './args.js';
import { defineCommand } from './command.js';
import { replaceFiguresSection, sectionStart, SECTION_END } from './figures-section.js';
import {
  extractKeyFigures,
  FIGURES_KIND,
  keyFiguresSchema,
  measuredSuites,
  renderKeyFigures,
  type KeyFigures,
} from './key-figures.js';
import { didYouMean } from './suggest.js';

export const reportFiguresCommand = defineCommand({
  name: 'report figures',
  summary: 'key figures of a report as Markdown or JSON, for the docs',
  usage: [
    'report figures REPORT [--suite NAME]... [--json] [--out FILE]',
    'report figures FIGURES.json [--out FILE | --update DOC.md]',
  ],
  description: `Prints the key figures of a report.json as a Markdown section: the run (id, profile, date,
the command that produced it), the machine and, per measured scenario, the throughput, p50/p99
latency and loss. With --json it prints them as JSON instead: a small file to commit (a report is
a local run output), which this command renders again. --update rewrites the section of a
document generated from such a file (between "<!-- figures: FILE ... -->" and "${SECTION_END}").`,
  options: {
    suite: {
      type: 'string',
      multiple: true,
      valueName: 'NAME',
      description: 'only the scenarios of this suite (e.g. load, forwarding-loss)',
    },
    json: { type: 'boolean', description: 'print the figures as JSON instead of Markdown' },
    out: { type: 'string', short: 'o', valueName: 'FILE', description: 'write to FILE instead of standard output' },
    update: {
      type: 'string',
      valueName: 'DOC',
      description: 'replace the section of DOC generated from FIGURES.json',
    },
  },
  parse: { maxPositionals: 1 },
  examples: [
    'mqtt-testbench report figures reports/latest/report.json --suite load',
    'mqtt-testbench report figures reports/latest/report.json --json -o docs/figures/load-process.json',
    'mqtt-testbench report figures docs/figures/load-process.json --update docs/benchmarks.md',
  ],
  run(args, io) {
    const input = args.positionals[0];
    if (!input) throw new UsageError('report figures needs a report.json or a figures file: report figures REPORT.');
    const { update, out, json, suite } = args.values;
    if (update && (out || json))
      throw new UsageError(`--update writes into ${update}: it goes without --out and --json.`);
    const path = resolve(io.cwd, input);
    const read = readFiguresInput(path, input);
    if (read.kind === 'figures' && suite)
      throw new UsageError(
        `--suite chooses from a report; ${input} is a figures file already (suites: ${read.figures.suites?.join(', ') ?? 'all'}).`,
      );
    if (read.kind === 'report' && update)
      throw new UsageError(
        `--update renders a figures file, and ${input} is a report: write its figures first (--json --out FILE), then update from that file.`,
      );
    let figures: KeyFigures;
    if (read.kind === 'figures') figures = read.figures;
    else {
      const known = measuredSuites(read.report);
      for (const name of suite ?? [])
        if (!known.includes(name))
          throw new UsageError(
            `--suite ${name}: ${input} has no measured scenario of that suite${didYouMean(name, known) || '.'} Its suites: ${known.join(', ') || 'none'}.`,
          );
      figures = extractKeyFigures(read.report, suite);
    }
    const markdown = renderKeyFigures(figures);
    if (update) {
      updateDocument(resolve(io.cwd, update), update, path, markdown);
      io.out(`Updated the section of ${update} generated from ${input} (run ${figures.run.id}).`);
      return 0;
    }
    const text = json ? `${JSON.stringify(figures, null, 2)}\n` : markdown;
    if (!out) {
      io.out(text.trimEnd());
      return 0;
    }
    const target = resolve(io.cwd, out);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    io.out(`Wrote ${out}: ${figures.scenarios.length} scenarios of run ${figures.run.id}.`);
    return 0;
  },
});

type FiguresInput = { kind: 'figures'; figures: KeyFigures } | { kind: 'report'; report: TestbenchReport };

/** A figures file (recognised by its `kind`), else a report.json; bad input is a UsageError or a ReportReadError (exit 2). */
export function readFiguresInput(path: string, shown: string): FiguresInput {
  if (!existsSync(path)) throw new UsageError(`${shown} does not exist.`);
  if (statSync(path).isDirectory()) throw new UsageError(`${shown} is a folder: give the report.json inside it.`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${shown} is not JSON: ${(error as Error).message}`);
  }
  if ((raw as { kind?: unknown } | null)?.kind !== FIGURES_KIND)
    return { kind: 'report', report: parseReport(raw, shown) };
  const parsed = keyFiguresSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new UsageError(
      `${shown} is not a figures file this version reads (${issues.join('; ')}); write it again with "report figures REPORT --json".`,
    );
  }
  return { kind: 'figures', figures: parsed.data };
}

function updateDocument(docPath: string, shown: string, figuresPath: string, markdown: string): void {
  if (!existsSync(docPath)) throw new UsageError(`--update ${shown} does not exist.`);
  const doc = readFileSync(docPath, 'utf8');
  const updated = replaceFiguresSection(doc, (file) => resolve(dirname(docPath), file) === figuresPath, markdown);
  if (updated === undefined) {
    const named = relative(dirname(docPath), figuresPath);
    throw new UsageError(
      `${shown} has no section generated from ${named}: put the lines "${sectionStart(named)}" and "${SECTION_END}" where it goes, then run this again.`,
    );
  }
  writeFileSync(docPath, updated);
}
