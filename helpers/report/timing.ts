/**
 * "Where the time went", for report.md and the console: the run's files by duration and, for the
 * files that mark them, their time per phase (starting brokers and topologies, readiness,
 * measuring, waiting for messages, teardown), so a regression in test time shows like any other.
 */
import { PHASES, type PhaseTotals } from '../stats/phase-clock.js';
import { duration } from '../stats/format.js';
import type { FileTiming, TestbenchReport } from './report-types.js';

const COLUMNS = [...PHASES, 'other'] as const;

/** The phases summed over files. */
export function totalPhases(files: readonly FileTiming[]): PhaseTotals {
  const totals: PhaseTotals = { teardown: 0, readiness: 0, start: 0, waiting: 0, measurement: 0, other: 0 };
  for (const file of files) for (const column of COLUMNS) totals[column] += file.phases?.[column] ?? 0;
  return totals;
}

/** `suites/faults.test.ts 70.2 s (start 12.1 s · measurement 41.0 s · waiting 9.8 s · …)`, the n slowest. */
export function slowestFiles(report: TestbenchReport, n = 5): string[] {
  return (report.timing?.files ?? [])
    .slice(0, n)
    .map((f) => `${f.file} ${duration(f.durationMs)}${began(f)}${phaseText(f.phases)}`);
}

/** ` from +2 min 13 s` (after the run began), when known. */
function began(file: FileTiming): string {
  return file.beganMs === undefined ? '' : ` from +${duration(file.beganMs)}`;
}

function phaseText(phases: PhaseTotals | undefined): string {
  if (!phases) return '';
  const parts = COLUMNS.filter((c) => phases[c] >= 50).map((c) => `${c} ${duration(phases[c])}`);
  return parts.length > 0 ? ` (${parts.join(' · ')})` : '';
}

export function timingSection(report: TestbenchReport, n = 10): string[] {
  const files = report.timing?.files ?? [];
  if (files.length === 0) return [];
  const totals = totalPhases(files);
  const cell = (phases: PhaseTotals | undefined, c: (typeof COLUMNS)[number]) => (phases ? duration(phases[c]) : '–');
  const out = [
    '## Where the time went',
    '',
    `${files.length} test files; tests and hooks took ${duration(files.reduce((t, f) => t + f.durationMs, 0))} in all ` +
      `(files of one project may run side by side; "began" is after the run began, so began + duration shows what ended it). Phases: start = brokers and topologies starting, readiness = waiting for their probes, ` +
      'measurement = load running, waiting = for messages to arrive or to prove they will not, teardown = stopping them; other = everything else.',
    '',
    `| file | project | began | duration | ${COLUMNS.join(' | ')} |`,
    `| --- | --- | ---: | ---: | ${COLUMNS.map(() => '---:').join(' | ')} |`,
    ...files
      .slice(0, n)
      .map(
        (f) =>
          `| ${f.file} | ${f.project} | ${f.beganMs === undefined ? '–' : `+${duration(f.beganMs)}`} | ${duration(f.durationMs)} | ${COLUMNS.map((c) => cell(f.phases, c)).join(' | ')} |`,
      ),
    `| all ${files.length} files |  |  | ${duration(files.reduce((t, f) => t + f.durationMs, 0))} | ${COLUMNS.map((c) => duration(totals[c])).join(' | ')} |`,
    '',
  ];
  return out;
}
