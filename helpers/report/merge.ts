/**
 * Merges several report.json files into one: repeated runs on one machine (`repeats`), or workers
 * that loaded the same system at the same time from several machines (`workers`). Results with
 * the same key are combined (counters summed, histograms merged from their encoded form, gates
 * re-evaluated; see combine.ts); targets, forwarders and topologies are united; test counts add up.
 */
import { createHash } from 'node:crypto';
import { fingerprintDifferences, fingerprintOf } from './baseline.js';
import { overallVerdict } from './build-report.js';
import { combineResults, groupBy, type CombineMode } from './combine.js';
import type { EntryStatus, ForwarderEntry, TargetEntry, TestbenchReport, TopologyEntry } from './report-types.js';

export interface MergeInput {
  report: TestbenchReport;
  /** Where it was read from, for messages and `run.mergedFrom`. */
  file: string;
}

export interface MergeOptions {
  mode: CombineMode;
  /** Merge repeats although their environments differ. */
  force?: boolean;
  command?: string;
}

export class MergeError extends Error {}

export function mergeReports(inputs: readonly MergeInput[], options: MergeOptions): TestbenchReport {
  const first = inputs[0];
  if (!first || inputs.length < 2) throw new MergeError('merge needs at least two reports.');
  const seen = new Map<string, string>();
  for (const { report, file } of inputs) {
    const earlier = seen.get(report.run.id);
    if (earlier !== undefined)
      throw new MergeError(
        `${file} and ${earlier} are the same run (${report.run.id}): merging a run with itself would count it twice.`,
      );
    seen.set(report.run.id, file);
  }
  if (options.mode === 'repeats' && !options.force) {
    for (const { report, file } of inputs.slice(1)) {
      const differences = fingerprintDifferences(report.environment.fingerprint, first.report.environment.fingerprint);
      if (differences.length > 0) {
        throw new MergeError(
          `${file} ran in a different environment than ${first.file} (${differences.join('; ')}): repeats of different environments are not repeats. Use --force to merge anyway, or --mode workers for load from several machines.`,
        );
      }
    }
  }

  const reports = inputs.map((i) => i.report);
  const allResults = reports.flatMap((report) => report.results.map((result) => ({ result, runId: report.run.id })));
  const results = [...groupBy(allResults, (i) => i.result.key).values()].map((group) =>
    combineResults(group, options.mode),
  );

  const startedAt = reports.map((r) => r.run.startedAt).sort()[0] as string;
  const finishedAt = reports
    .map((r) => r.run.finishedAt)
    .sort()
    .at(-1) as string;
  const states = reports.map((r) => r.run.state);
  const env = first.report.environment;
  const merged: TestbenchReport = {
    schemaVersion: first.report.schemaVersion,
    generator: first.report.generator,
    run: {
      id: `merged-${createHash('sha256')
        .update(reports.map((r) => r.run.id).join('\n'))
        .digest('hex')
        .slice(0, 12)}`,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
      profile: first.report.run.profile,
      strict: reports.every((r) => r.run.strict),
      command: options.command ?? `mqtt-testbench merge --mode ${options.mode}`,
      state: states.includes('interrupted') ? 'interrupted' : states.includes('failed') ? 'failed' : 'passed',
      errors: reports.flatMap((r) => r.run.errors.map((e) => `${r.run.id}: ${e}`)),
      mergedFrom: inputs.map(({ report, file }) => ({
        runId: report.run.id,
        file,
        startedAt: report.run.startedAt,
        fingerprint: report.environment.fingerprint.id,
      })),
    },
    environment: {
      ...env,
      fingerprint: fingerprintOf(env.fingerprint.runtime, env.fingerprint.cpus, env.fingerprint.profile, results),
    },
    targets: uniteTargets(reports.flatMap((r) => r.targets)),
    forwarders: uniteEntries(
      reports.flatMap((r) => r.forwarders),
      (f: ForwarderEntry) => f.spec,
    ),
    topologies: uniteEntries(
      reports.flatMap((r) => r.topologies),
      (t: TopologyEntry) => t.id,
    ),
    results,
    tests: {
      total: sum(reports.map((r) => r.tests.total)),
      passed: sum(reports.map((r) => r.tests.passed)),
      failed: sum(reports.map((r) => r.tests.failed)),
      skipped: sum(reports.map((r) => r.tests.skipped)),
      measured: sum(reports.map((r) => r.tests.measured)),
    },
    skipped: reports.flatMap((r) => r.skipped),
    failures: reports.flatMap((r) => r.failures),
    verdict: 'pass',
  };
  if (options.mode === 'workers') {
    const machines = new Set(reports.map((r) => `${r.environment.platform} ${r.environment.cpus} CPUs`));
    if (machines.size > 1)
      merged.environment = {
        ...merged.environment,
        cpuModel: `${merged.environment.cpuModel} (+ ${reports.length - 1} other worker machine(s))`,
      };
  }
  merged.verdict = overallVerdict(merged);
  return merged;
}

function uniteTargets(entries: readonly TargetEntry[]): TargetEntry[] {
  const byKey = groupBy(entries, (t) => `${t.name} ${t.runtime}`);
  return [...byKey.values()].map((group) => {
    const ran = group.find((t) => t.status === 'ran');
    const base: TargetEntry = { ...(ran ?? group[0])! };
    base.versions = [...new Set(group.flatMap((t) => t.versions))].sort();
    return base;
  });
}

function uniteEntries<T extends { status: EntryStatus }>(entries: readonly T[], keyOf: (entry: T) => string): T[] {
  return [...groupBy(entries, keyOf).values()].map((group) => ({
    ...(group.find((e) => e.status === 'ran') ?? (group[0] as T)),
  }));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
