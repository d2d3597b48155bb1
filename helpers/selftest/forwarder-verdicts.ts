/**
 * Judges a child run of the forwarder self-test (suites/selftest-forwarder.test.ts). A child may
 * run several forwarders (MQTT_TESTBENCH_FORWARDER lists them; each gets its own topology, named
 * `external>external via <forwarder>`): the faulty one must fail exactly the tests about its
 * defect, saying what was wrong and counting exactly what it did; the controls must pass all.
 */
import type { FailedTest, ReportResult, TestbenchReport } from '../report/report-types.js';
import type { ChildSuitesOutcome } from './child-suites.js';
import { sumFigure, type FaultyForwarderStats, type StatsFigure } from './faulty-forwarder/stats.js';

/** How the suites' figures are compared with the forwarder's. */
export type CountedCheck =
  /** A counter summed over the forwarder's results (those `results` accepts) equals its figure summed over the tests' own topics. */
  | {
      kind: 'results';
      counter: 'lost' | 'duplicates' | 'reordered';
      figure: StatsFigure;
      results: (result: ReportResult) => boolean;
      /** The topics of those tests (e.g. a namespace of the suite), not the testbed's probe or another suite's. */
      topics: RegExp;
    }
  /** qos-matrix: in each failed cell, "delivered QoS x on N of M messages": N equals the messages of that cell the forwarder re-QoSed. */
  | { kind: 'qos-cells' };

/** What one defect must do to the tests of some suite files. */
export interface DefectExpectation {
  /** Suite files whose failures this expectation covers. */
  files: readonly string[];
  /** How many of their tests fail. */
  failures: number;
  /** Every failed test's full name matches this. */
  failing: RegExp;
  /** Every failure message says what was wrong. */
  message: RegExp;
  counted?: CountedCheck;
}

/** Failures of the tests that ran through `forwarder` (its topology's describe block). */
export function failuresOf(report: TestbenchReport, forwarder: string): FailedTest[] {
  return report.failures.filter((f) => f.test.fullName.includes(` via ${forwarder} > `));
}

/**
 * What is wrong with the verdicts on the faulty forwarder `forwarder` (`what`: its defect in words),
 * one line each; empty when the suites caught the defect as they must.
 */
export function defectProblems(
  report: TestbenchReport,
  forwarder: string,
  what: string,
  expectations: readonly DefectExpectation[],
  stats: readonly FaultyForwarderStats[],
): string[] {
  const failures = failuresOf(report, forwarder);
  const problems: string[] = [];
  if (failures.length === 0) problems.push(`no test failed: the suites did not catch "${what}"`);
  const covered = new Set<FailedTest>();
  for (const expected of expectations) {
    const mine = failures.filter((f) => expected.files.includes(f.test.file));
    mine.forEach((f) => covered.add(f));
    const where = expected.files.join(', ');
    const unrelated = mine.filter((f) => !expected.failing.test(f.test.fullName));
    if (unrelated.length > 0)
      problems.push(
        `tests that have nothing to do with "${what}" failed: ${unrelated.map(describeFailure).join(' || ')}`,
      );
    const vague = mine.filter((f) => !expected.message.test(f.error));
    if (vague.length > 0)
      problems.push(
        `failure messages that do not say what was wrong (expected ${String(expected.message)}): ${vague.map(describeFailure).join(' || ')}`,
      );
    if (mine.length !== expected.failures)
      problems.push(
        `${where}: ${mine.length} test(s) failed, expected ${expected.failures}: ${mine.map((f) => f.test.fullName).join(' || ') || 'none'}`,
      );
    if (expected.counted) {
      const results = report.results.filter((r) => r.subject.kind === 'topology' && r.subject.forwarder === forwarder);
      problems.push(...countedProblems(expected.counted, results, mine, stats));
    }
  }
  const elsewhere = failures.filter((f) => !covered.has(f));
  if (elsewhere.length > 0)
    problems.push(`tests in other suites failed: ${elsewhere.map(describeFailure).join(' || ')}`);
  return problems;
}

/** Every selected test ran: none skipped, as many as the pattern selects per forwarder. */
export function scopeProblems(outcome: ChildSuitesOutcome, pattern: string, tests: number): string[] {
  const report = outcome.report;
  if (!report) return [`the child run wrote no report: ${outcome.reportError}`];
  const problems: string[] = [];
  if (report.skipped.length > 0)
    problems.push(
      `test(s) were skipped, which could hide a defect: ${report.skipped.map((s) => `${s.test.fullName}: ${s.reason}`).join(' || ')}`,
    );
  const ran = report.tests.passed + report.tests.failed;
  if (ran !== tests) problems.push(`${ran} test(s) ran, the pattern ${pattern} should select ${tests}`);
  return problems;
}

function countedProblems(
  check: CountedCheck,
  results: readonly ReportResult[],
  failures: readonly FailedTest[],
  stats: readonly FaultyForwarderStats[],
): string[] {
  if (check.kind === 'results') {
    const counted = results.filter(check.results);
    const total = counted.reduce((sum, r) => sum + (r.counters?.[check.counter] ?? 0), 0);
    const injected = sumFigure(stats, check.figure, (topic) => check.topics.test(topic));
    if (injected === 0)
      return [
        `the forwarder ${check.figure} nothing on the tests' topics (${String(check.topics)}), so this proves nothing`,
      ];
    if (total === injected) return [];
    return [
      `the suites counted ${total} ${check.counter} message(s) (${counted.map((r) => `${r.suite} ${r.scenario} QoS ${r.qos}: ${r.counters?.[check.counter] ?? 'not counted'}`).join('; ')}), the forwarder ${check.figure} exactly ${injected}`,
    ];
  }
  const problems: string[] = [];
  for (const failure of failures) {
    const cell = /MQTT (3\.1\.1|5) > pub QoS (\d) \/ sub QoS (\d)/.exec(failure.test.fullName);
    const counted = /on (\d+) of \d+ messages/.exec(failure.error);
    if (!cell || !counted) {
      problems.push(`cannot read the cell or its count from ${describeFailure(failure)}`);
      continue;
    }
    const namespace = `/qos-p${cell[2]}s${cell[3]}v${cell[1] === '5' ? 5 : 4}-`;
    const injected = sumFigure(stats, 'qosChanged', (topic) => topic.includes(namespace));
    if (Number(counted[1]) !== injected)
      problems.push(
        `${failure.test.fullName}: the suite counted ${counted[1]} message(s) at a wrong QoS, the forwarder changed the QoS of ${injected}`,
      );
  }
  return problems;
}

export function describeFailure(failure: FailedTest): string {
  return `${failure.test.fullName}: ${failure.error.split('\n').slice(0, 3).join(' | ')}`;
}
