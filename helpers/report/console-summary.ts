/**
 * The short summary printed on the console at the end of a run: one row per scenario (QoS grids
 * folded into one row each), failures first; then skipped targets with their reasons, the
 * baseline verdict, and where the reports are.
 */
import { slowestFiles } from './timing.js';
import { comparisonLabel, describeFigure } from './baseline.js';
import { lostCell, ms, percent, rate } from '../stats/format.js';
import { protocolLabel, subjectLabel, subjectName } from './keys.js';
import { scenarioLabel, sortResults } from './markdown.js';
import { qosGrids } from './qos-grid.js';
import type { ReportResult, TestbenchReport } from './report-types.js';
import { lossRateOf } from './testbench-result.js';

export interface SummaryOptions {
  /** Where report.json, report.md, report.html and junit.xml were written. */
  reportFolder?: string;
  latestFolder?: string;
  /** Rows shown before "… and N more". Default 30. */
  maxRows?: number;
  /** Terminal width; long cells are cut to fit. Default 140. */
  width?: number;
}

const VERDICT = { pass: '✓ pass', fail: '✗ FAIL', skip: '- skip', inconclusive: '? INCONCLUSIVE' } as const;

export function renderConsoleSummary(report: TestbenchReport, options: SummaryOptions = {}): string {
  const maxRows = options.maxRows ?? 30;
  const lines: string[] = [];
  const { run, environment: env, tests } = report;
  lines.push('');
  lines.push(
    `mqtt-testbench ${report.verdict === 'pass' ? '✓ PASS' : '✗ FAIL'} · run ${run.id} · profile ${run.profile} · runtime ${env.runtime.kind} · ${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped`,
  );

  const rows: string[][] = [];
  // The header names the runtime; rows repeat it only when subjects ran in different runtimes.
  const oneRuntime = new Set(report.results.map((r) => r.subject.runtime)).size <= 1;
  const gridRows = qosGrids(report.results).map((grid) => {
    const cells = grid.cells.flat().filter((c) => c !== undefined);
    // A cell a declared deviation rules out is recorded as skipped: not a failure, and not counted as run.
    const ran = cells.filter((c) => c.verdict !== 'skip');
    const ok = ran.filter((c) => c.ok).length;
    const skipped = cells.length - ran.length;
    const failed = ran.some((c) => c.verdict === 'fail' || !c.ok);
    return {
      fail: failed,
      row: [
        'qos-matrix',
        oneRuntime ? grid.subject.replace(/ \([^)]*\)$/, '') : grid.subject,
        `QoS grid ${grid.path} ${protocolLabel(grid.protocolVersion)}`,
        failed ? VERDICT.fail : VERDICT.pass,
        `${ok}/${ran.length} cells as expected${skipped > 0 ? `, ${skipped} skipped (declared deviation)` : ''}`,
      ],
    };
  });
  const resultRows = sortResults(report.results.filter((r) => !r.qosCell)).map((r) => {
    const label = scenarioLabel(r);
    const qos = r.qos !== undefined && !label.includes(`QoS ${r.qos}`) ? ` QoS ${r.qos}` : '';
    return {
      fail: r.verdict === 'fail' || r.verdict === 'inconclusive',
      row: [
        r.suite,
        oneRuntime ? subjectName(r.subject) : subjectLabel(r.subject),
        `${label}${qos}${r.repeats && r.repeats.length > 1 ? ` ×${r.repeats.length}` : ''}`,
        VERDICT[r.verdict],
        keyFigure(r),
      ],
    };
  });
  const all = [...gridRows, ...resultRows].sort((a, b) => Number(b.fail) - Number(a.fail));
  for (const { row } of all.slice(0, maxRows)) rows.push(row);
  if (rows.length > 0) {
    lines.push('');
    lines.push(...table(['suite', 'subject', 'scenario', 'verdict', 'key figures'], rows, options.width ?? 140));
    if (all.length > maxRows) lines.push(`  … and ${all.length - maxRows} more rows (see report.md)`);
  } else {
    lines.push('  no measured results');
  }

  const skippedTargets = report.targets.filter((t) => t.status === 'skipped');
  const skippedForwarders = report.forwarders.filter((f) => f.status === 'skipped');
  if (skippedTargets.length + skippedForwarders.length > 0) {
    lines.push('');
    lines.push('skipped:');
    for (const t of skippedTargets) lines.push(`  - target ${t.name} (${t.runtime}): ${t.reason ?? ''}`);
    for (const f of skippedForwarders) lines.push(`  - forwarder ${f.name}: ${f.reason ?? ''}`);
  }
  if (run.errors.length > 0) {
    lines.push('');
    lines.push('errors outside tests:');
    for (const e of run.errors.slice(0, 5)) lines.push(`  - ${e.split('\n')[0] ?? ''}`);
  }
  if (report.baseline) {
    const b = report.baseline;
    lines.push('');
    if (b.verdict === 'fail') {
      const regressed = b.comparisons.flatMap((c) =>
        c.figures.filter((f) => f.status === 'regressed').map((f) => `  ✗ ${comparisonLabel(c)}: ${describeFigure(f)}`),
      );
      lines.push(`baseline ✗ ${b.regressions} regression(s) beyond tolerance against ${b.file} (run ${b.runId}):`);
      lines.push(...regressed.slice(0, 15));
      if (regressed.length > 15) lines.push(`  … and ${regressed.length - 15} more (see report.md)`);
    } else {
      lines.push(`baseline ${b.verdict === 'pass' ? '✓' : '✗'} ${b.message}`);
    }
  }
  const slowest = slowestFiles(report);
  if (slowest.length > 0) {
    lines.push('', 'slowest test files:');
    lines.push(...slowest.map((line) => `  ${line}`));
  }
  if (options.reportFolder) {
    lines.push('');
    lines.push(
      `reports: ${options.reportFolder}/{report.json,report.md,report.html,junit.xml}${options.latestFolder ? ` (copied to ${options.latestFolder}/)` : ''}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** loss · p99 · msg/s for load results; observations for the others. */
export function keyFigure(r: ReportResult): string {
  const parts: string[] = [];
  const c = r.counters;
  if (c && (r.latency || r.throughput)) {
    parts.push(`loss ${percent(lossRateOf(c) ?? 0)}${c.lost > 0 ? ` (${lostCell(c)}/${c.expected})` : ''}`);
    if (c.duplicates > 0) parts.push(`dup ${c.duplicates}`);
    if (r.latency && r.latency.count > 0) {
      // When rate limited the gate reads p99 from the intended send time: show both.
      const intended = r.latencyFromIntended && r.latencyFromIntended.count > 0 ? r.latencyFromIntended : undefined;
      parts.push(`p99 ${ms(r.latency.p99)} ms${intended ? ` (${ms(intended.p99)} from intended send)` : ''}`);
    }
    if (r.throughput) parts.push(`${rate(r.throughput.receivePerSec)} msg/s`);
  } else if (r.observations) {
    parts.push(
      ...Object.entries(r.observations)
        .slice(0, 3)
        .map(([k, v]) => `${k} ${String(v)}`),
    );
  }
  const rerun = r.observations?.['timingRerun'];
  if (typeof rerun === 'string') parts.push(`timing rerun: ${rerun}`);
  const broken = (r.gates ?? []).filter((g) => !g.passed);
  if (broken.length > 0) parts.push(`broken: ${broken.map((g) => g.name).join(', ')}`);
  if (r.diagnostics?.harnessSaturated) parts.push('⚠ harness saturated');
  return parts.join(' · ') || '–';
}

function table(header: readonly string[], rows: readonly string[][], width: number): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  // Shrink the widest columns until the table fits the terminal.
  const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) + 2;
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= 12) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const fit = (text: string, w: number): string => {
    const chars = [...text];
    return chars.length > w ? `${chars.slice(0, w - 1).join('')}…` : text + ' '.repeat(w - chars.length);
  };
  const render = (r: readonly string[]): string =>
    `  ${r.map((cell, i) => fit(cell, widths[i] ?? 0)).join('  ')}`.trimEnd();
  return [render(header), `  ${widths.map((w) => '─'.repeat(w)).join('  ')}`, ...rows.map(render)];
}
