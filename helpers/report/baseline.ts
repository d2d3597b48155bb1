/**
 * Comparison of a run with a stored baseline report. Pure logic on two reports.
 *
 * Results are matched by key (suite | scenario | subject | protocol | QoS | variant). Per matched
 * scenario, p50 and p99 latency and receive throughput are compared relative to the baseline,
 * loss absolute. Run-to-run noise: when a scenario ran several times (vitest `repeats`, or merged
 * reports) its medians are compared and the spread (min–max) is shown; a latency or throughput
 * change only counts as a regression when it is beyond the tolerance *and* beyond the slowest
 * (for throughput: the lowest) run of the baseline, and beyond a small absolute slack for latency.
 *
 * Two runs are only compared when their environments match (runtime, CPU count, profile, and the
 * version of every broker both ran); otherwise the comparison is refused unless forced.
 */
import { createHash } from 'node:crypto';
import { judgeTiming } from '../gates/timing-verdict.js';
import { figureSample } from './figures.js';
import { ms, percent, rate, signedPercent, signedPoints } from '../stats/format.js';
import { subjectLabel, subjectTargetVersions } from './keys.js';
import type {
  BaselineSection,
  ComparedFigure,
  EnvironmentFingerprint,
  FigureComparison,
  FigureSample,
  FigureStatus,
  ReportResult,
  ScenarioComparison,
  TestbenchReport,
  Tolerances,
} from './report-types.js';
import { tolerancesFor, type ToleranceConfig } from './tolerances.js';

export function fingerprintOf(
  runtime: string,
  cpus: number,
  profile: string,
  results: readonly Pick<ReportResult, 'subject'>[],
): EnvironmentFingerprint {
  const targetVersions = [...new Set(results.flatMap((r) => subjectTargetVersions(r.subject)))].sort();
  const hash = createHash('sha256')
    .update(JSON.stringify({ runtime, cpus, profile, targetVersions }))
    .digest('hex')
    .slice(0, 8);
  return { id: `${runtime}-${cpus}cpu-${profile}-${hash}`, runtime, cpus, profile, targetVersions };
}

/** What differs between two environments, in words; empty when they can be compared. */
export function fingerprintDifferences(current: EnvironmentFingerprint, baseline: EnvironmentFingerprint): string[] {
  const differences: string[] = [];
  if (current.runtime !== baseline.runtime)
    differences.push(`runtime ${current.runtime} here, ${baseline.runtime} in the baseline`);
  if (current.cpus !== baseline.cpus) differences.push(`${current.cpus} CPUs here, ${baseline.cpus} in the baseline`);
  if (current.profile !== baseline.profile)
    differences.push(`profile ${current.profile} here, ${baseline.profile} in the baseline`);
  const versionsOf = (list: readonly string[]): Map<string, string> =>
    new Map(list.map((tv) => [tv.slice(0, tv.indexOf('@')), tv.slice(tv.indexOf('@') + 1)]));
  const now = versionsOf(current.targetVersions);
  const then = versionsOf(baseline.targetVersions);
  for (const [target, version] of now) {
    const old = then.get(target);
    if (old !== undefined && old !== version) differences.push(`${target} ${version} here, ${old} in the baseline`);
  }
  return differences;
}

export interface CompareOptions {
  /** Compare even when the environments differ. */
  force: boolean;
  tolerances?: ToleranceConfig;
  /** Path of the baseline file, for messages. */
  baselineFile: string;
}

export function compareWithBaseline(
  current: TestbenchReport,
  baseline: TestbenchReport,
  options: CompareOptions,
): BaselineSection {
  const differences = fingerprintDifferences(current.environment.fingerprint, baseline.environment.fingerprint);
  const section: BaselineSection = {
    file: options.baselineFile,
    runId: baseline.run.id,
    fingerprint: baseline.environment.fingerprint,
    fingerprintDifferences: differences,
    forced: options.force,
    tolerances: tolerancesFor(options.tolerances, { suite: '', scenario: '', subject: '' }),
    tolerancesSource: options.tolerances?.source ?? 'built-in defaults',
    comparisons: [],
    missing: [],
    added: [],
    regressions: 0,
    verdict: 'pass',
    message: '',
  };
  if (differences.length > 0 && !options.force) {
    section.verdict = 'refused';
    section.message =
      `Not compared with baseline ${options.baselineFile} (run ${baseline.run.id}): the environments differ (${differences.join('; ')}). ` +
      'Numbers from different environments say nothing about a regression. Save a baseline for this environment ' +
      '(mqtt-testbench baseline save), or compare anyway with --force-baseline (MQTT_TESTBENCH_BASELINE_FORCE=1).';
    return section;
  }
  const baselineByKey = new Map(baseline.results.map((r) => [r.key, r]));
  const currentKeys = new Set(current.results.map((r) => r.key));
  for (const result of current.results) {
    const old = baselineByKey.get(result.key);
    if (!old) {
      section.added.push(result.key);
      continue;
    }
    if (result.verdict === 'skip' || old.verdict === 'skip') continue;
    const subject = subjectLabel(result.subject);
    const tolerances = tolerancesFor(options.tolerances, { suite: result.suite, scenario: result.scenario, subject });
    const baselineSaturated = Boolean(old.diagnostics?.harnessSaturated);
    const figures = compareFigures(result, old, tolerances, {
      currentUndecidable: timingUndecidable(result),
      baselineSaturated,
    });
    if (figures.length === 0) continue;
    const comparison: ScenarioComparison = {
      key: result.key,
      suite: result.suite,
      scenario: result.scenario,
      subject,
      figures,
      status: worstStatus(figures.map((f) => f.status)),
    };
    if (result.variant) comparison.variant = result.variant;
    if (result.protocolVersion !== undefined) comparison.protocolVersion = result.protocolVersion;
    if (result.qos !== undefined) comparison.qos = result.qos;
    if (baselineSaturated) comparison.baselineSaturated = true;
    section.comparisons.push(comparison);
  }
  section.missing = baseline.results.filter((r) => !currentKeys.has(r.key)).map((r) => r.key);
  section.regressions = section.comparisons.reduce(
    (n, c) => n + c.figures.filter((f) => f.status === 'regressed').length,
    0,
  );
  section.inconclusive = section.comparisons.reduce(
    (n, c) => n + c.figures.filter((f) => f.status === 'untrusted').length,
    0,
  );
  section.verdict = section.regressions > 0 ? 'fail' : section.inconclusive > 0 ? 'inconclusive' : 'pass';
  const lenient = section.comparisons.filter((c) => c.baselineSaturated).length;
  const lenientNote =
    lenient > 0
      ? ` ${lenient} comparison(s) are against baseline results whose harness was saturated (pessimistic figures, so lenient): save a new baseline.`
      : '';
  const forcedNote =
    differences.length > 0 ? ` (forced although the environments differ: ${differences.join('; ')})` : '';
  const regressed = section.comparisons.flatMap((c) =>
    c.figures.filter((f) => f.status === 'regressed').map((f) => `${comparisonLabel(c)}: ${describeFigure(f)}`),
  );
  const scenarios = section.comparisons.filter((c) => c.status === 'regressed').length;
  section.message =
    section.regressions > 0
      ? `${section.regressions} regression(s) beyond tolerance in ${scenarios} of ${section.comparisons.length} compared scenario(s) against baseline ${options.baselineFile} (run ${baseline.run.id})${forcedNote}: ` +
        `${regressed.slice(0, 3).join('; ')}${regressed.length > 3 ? `; and ${regressed.length - 3} more` : ''}.`
      : section.comparisons.length === 0
        ? `Nothing compared: none of this run's ${current.results.length} result(s) matches a scenario with figures in baseline ${options.baselineFile} (run ${baseline.run.id})${forcedNote}.`
        : section.inconclusive > 0
          ? `No regression, but ${section.inconclusive} timing figure(s) beyond tolerance in results whose harness was saturated by itself or other work (inconclusive) against baseline ${options.baselineFile} (run ${baseline.run.id})${forcedNote}.`
          : `No regression against baseline ${options.baselineFile} (run ${baseline.run.id}, ${section.comparisons.length} scenario(s) compared)${forcedNote}.`;
  section.message += lenientNote;
  return section;
}

const FIGURES: { figure: ComparedFigure; higherIsWorse: boolean }[] = [
  { figure: 'p50Us', higherIsWorse: true },
  { figure: 'p99Us', higherIsWorse: true },
  { figure: 'receivePerSec', higherIsWorse: false },
  { figure: 'lossRate', higherIsWorse: true },
];

function compareFigures(
  current: ReportResult,
  baseline: ReportResult,
  tolerances: Tolerances,
  trust: { currentUndecidable: boolean; baselineSaturated: boolean },
): FigureComparison[] {
  const comparisons: FigureComparison[] = [];
  for (const { figure, higherIsWorse } of FIGURES) {
    const now = figureSample(current, figure);
    const then = figureSample(baseline, figure);
    if (!now || !then) continue;
    const { limit, rule } = limitFor(figure, then, tolerances);
    const delta = now.median - then.median;
    const deltaRel = then.median !== 0 ? delta / then.median : null;
    const beyond = higherIsWorse ? now.median > limit : now.median < limit;
    const better = higherIsWorse ? now.median < then.min : now.median > then.max;
    let status: FigureStatus = beyond ? 'regressed' : better && delta !== 0 ? 'improved' : 'ok';
    // A saturated harness only makes timing worse. This run's: a regression may be the harness's
    // (undecidable). The baseline's: it was pessimistic, so a regression against it is real, an improvement is not.
    if (figure !== 'lossRate') {
      if (status === 'regressed' && trust.currentUndecidable) status = 'untrusted';
      else if (status === 'improved' && trust.baselineSaturated) status = 'ok';
    }
    comparisons.push({ figure, baseline: then, current: now, delta, deltaRel, limit, rule, status });
  }
  return comparisons;
}

function limitFor(figure: ComparedFigure, baseline: FigureSample, t: Tolerances): { limit: number; rule: string } {
  if (figure === 'lossRate') {
    return {
      limit: baseline.median + t.lossAbs,
      rule: `baseline ${percent(baseline.median)} + ${signedPoints(t.lossAbs).slice(1)}`,
    };
  }
  if (figure === 'receivePerSec') {
    const relative = baseline.median * (1 - t.throughputRel);
    const limit = Math.min(relative, baseline.min);
    return {
      limit,
      rule: `−${t.throughputRel * 100} % of ${rate(baseline.median)} msg/s${baseline.n > 1 ? ', and below the lowest baseline run' : ''}`,
    };
  }
  const rel = figure === 'p50Us' ? t.latencyP50Rel : t.latencyP99Rel;
  const limit = Math.max(baseline.median * (1 + rel), baseline.max, baseline.median + t.latencySlackUs);
  return {
    limit,
    rule: `+${rel * 100} % of ${ms(baseline.median)} ms${baseline.n > 1 ? ', beyond the slowest baseline run' : ''}, at least +${ms(t.latencySlackUs)} ms`,
  };
}

function worstStatus(statuses: readonly FigureStatus[]): FigureStatus {
  for (const s of ['regressed', 'untrusted', 'improved'] as const) if (statuses.includes(s)) return s;
  return 'ok';
}

/** `forwarding-loss heavy · pass QoS 1 · mosquitto (container)`. */
export function comparisonLabel(
  c: Pick<ScenarioComparison, 'suite' | 'scenario' | 'variant' | 'qos' | 'subject'>,
): string {
  return `${c.suite} ${c.scenario}${c.variant ? ` · ${c.variant}` : ''}${c.qos !== undefined ? ` QoS ${c.qos}` : ''} · ${c.subject}`;
}

export const FIGURE_LABELS: Record<ComparedFigure, string> = {
  p50Us: 'p50',
  p99Us: 'p99',
  receivePerSec: 'msg/s',
  lossRate: 'loss',
};

/** A figure value in its display unit. */
export function formatFigure(figure: ComparedFigure, value: number): string {
  if (figure === 'lossRate') return percent(value);
  if (figure === 'receivePerSec') return `${rate(value)} msg/s`;
  return `${ms(value)} ms`;
}

/** `1.20 ms → 1.61 ms (+34 %)` with the spread when there are repeats. */
export function describeFigure(f: FigureComparison): string {
  return `${FIGURE_LABELS[f.figure]} ${describeChange(f)}`;
}

/** `1.20 ms → 1.61 ms (+34 %, limit 1.50 ms)`. */
export function describeChange(f: FigureComparison): string {
  return `${formatSample(f.figure, f.baseline)} → ${formatSample(f.figure, f.current)} (${signedChange(f)}, limit ${formatFigure(f.figure, f.limit)})`;
}

/** `+34 %` for relative figures, `+0.05 pp` for loss. */
export function signedChange(f: Pick<FigureComparison, 'figure' | 'delta' | 'deltaRel'>): string {
  return f.figure === 'lossRate' ? signedPoints(f.delta) : signedPercent(f.deltaRel);
}

export function formatSample(figure: ComparedFigure, sample: FigureSample): string {
  const median = formatFigure(figure, sample.median);
  if (sample.n <= 1) return median;
  return `${median} [${formatFigure(figure, sample.min)}–${formatFigure(figure, sample.max)}, n=${sample.n}]`;
}

/** A result's timing cannot be judged: the harness or other processes may have slowed it (see judgeTiming). */
function timingUndecidable(result: ReportResult): boolean {
  const d = result.diagnostics;
  if (!d) return false;
  return judgeTiming(1, { saturated: d.harnessSaturated, reasons: d.reasons }, d.cpu ?? null).kind === 'inconclusive';
}
