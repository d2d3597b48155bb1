/**
 * The suites catch a broken FORWARDER: the forwarder verdicts (retain-forwarder,
 * clean-session-forwarder, faults, forwarding-loss and the forwarded path of qos-matrix) fail a
 * forwarder that misbehaves, on exactly the broken behaviour, saying what was wrong.
 *
 * The faulty forwarder (helpers/selftest/faulty-forwarder, bundled to
 * dist/selftest-faulty-forwarder.mjs) is a `command:` forwarder that reads the testbed's forwarder
 * config like any third-party forwarder and forwards correctly, except for one deliberate,
 * deterministic defect per run (`--mode`): it loses messages across a restart, drops retained
 * messages, strips their RETAIN flag, ignores retained deletes, downgrades or upgrades QoS, drops,
 * duplicates or reorders every Nth message of a topic. It counts what it did per topic into
 * MQTT_TESTBENCH_FAULTY_FORWARDER_STATS. For each mode the real suite files run in a child
 * `vitest run` with the faulty forwarder between two real mosquitto brokers (the external
 * forwarding topology, MQTT_TESTBENCH_FORWARDER=command:…, no declaration: a correct forwarder is
 * expected, helpers/forwarders/declaration-file.ts), exactly as a team checks its own forwarder,
 * and this file asserts from the child's report.json that
 * - the tests about that behaviour failed and nothing else did (no crash, no collateral timeout,
 *   nothing skipped, every selected test ran);
 * - every failure message says what was wrong ("without its RETAIN flag", "never arrived
 *   upstream", "lost 20 of … across the forwarder's kill -9 and restart", "delivered QoS 0",
 *   "max loss rate broken", …);
 * - where the suites count, they count exactly what the forwarder did (lost = dropped, duplicates
 *   = duplicated, reordered = reordered, per qos-matrix cell the messages at a wrong QoS = those
 *   it re-QoSed), on the tests' own topics (not the testbed's probe, not another suite's).
 * Controls: the faulty forwarder in mode `none` and the reference forwarder pass the same tests.
 *
 * Behaviour-only children run side by side; children with a restart (clean-session, faults: a
 * paced stream, a fault budget) run one at a time after them. The ci profile (npm test) runs one
 * case per verdict family — strip-retain (retain-forwarder), restart-loss (clean-session-forwarder),
 * drop (forwarding-loss light QoS 1), downgrade-qos (4 qos-matrix cells) — and the controls on the
 * same tests (about 35 s); the full profile runs every mode on every scope (faults included).
 * Child reports go to `reports/<this run>/selftest/<child run>/`, the forwarder's figures to
 * `reports/<this run>/selftest/forwarder-stats-*`; each test's annotations say how to reproduce it.
 */
import { skipTest, runPlan, runSettings } from '../helpers/vitest/index.js';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test, type TestContext } from 'vitest';
import { REFERENCE_BUNDLE } from '../helpers/forwarders/index.js';
import { MOSQUITTO_BIN, targetSetting } from '../helpers/targets/index.js';
import {
  selftestBrokerUnavailable,
  startSelftestBroker,
  type SelftestBroker,
  childReportDir,
  runChildSuites,
  type ChildSuitesOutcome,
  describeMode,
  type FaultyMode,
  readFaultyForwarderStats,
  STATS_DIR_ENV,
  sumFigure,
  type FaultyForwarderStats,
  defectProblems,
  describeFailure,
  failuresOf,
  scopeProblems,
  type CountedCheck,
} from '../helpers/selftest/index.js';

const plan = runPlan();
const settings = runSettings();
const FULL = plan.profile === 'full';
/** A child run: vitest start-up, the topologies, then their tests (the slowest, faults in the full profile, about 3 minutes). */
const CHILD_BUDGET_MS = 300_000;
const FULL_ONLY = 'runs in the full profile (npm run bench) only, to keep npm test within its time budget';

const FAULTY_BUNDLE = fileURLToPath(new URL('../dist/selftest-faulty-forwarder.mjs', import.meta.url));
/** Relative to the repository root, where child runs (and so their forwarders) start: short test names. */
const FAULTY_COMMAND = 'node dist/selftest-faulty-forwarder.mjs';

const unavailable =
  selftestBrokerUnavailable(targetSetting(settings, MOSQUITTO_BIN)) ??
  [FAULTY_BUNDLE, REFERENCE_BUNDLE]
    .filter((bundle) => !existsSync(bundle))
    .map((bundle) => `${bundle} does not exist: run \`npm run build\` first (npm test does it).`)[0];

const RETAIN = 'suites/retain-forwarder.test.ts';
const CLEAN_SESSION = 'suites/clean-session-forwarder.test.ts';
const FAULTS = 'suites/faults.test.ts';
const FORWARDING_LOSS = 'suites/forwarding-loss.test.ts';
const QOS_MATRIX = 'suites/qos-matrix.test.ts';

/** Which tests a child runs (vitest -t: a regular expression over the test names joined with spaces), how many that selects per forwarder, and how many of them the defect fails. */
interface Scope {
  pattern: string;
  tests: number;
  failures: number;
}

const RETAIN_SCOPE: Scope = { pattern: 'retain: through the forwarder', tests: 2, failures: 2 };
const RESTART_SCOPE: Scope = { pattern: 'clean session: forwarder restart', tests: 1, failures: 1 };
/** The forwarder's kill -9 fails; its pause (no restart) passes. */
const FAULTS_SCOPE: Scope = {
  pattern: 'faults .*(kill -9 and restart of the forwarder|pause of the forwarder for 5 s) mid-stream',
  tests: 2,
  failures: 1,
};
/** forwarding-loss light (210 messages: 200 and 10 warm-up per QoS and route). */
const LOSS_FULL: Scope = {
  pattern: 'through the forwarder .* light QoS [012] (pass-through|EventCall)',
  tests: 6,
  failures: 6,
};
const LOSS_CI: Scope = { pattern: 'through the forwarder .* light QoS 1 pass-through', tests: 1, failures: 1 };
const LOSS_FAILING = /forwarding loss > through the forwarder > .* > light QoS [012] (pass-through|EventCall)/;
const QOS_FULL_PATTERN = 'qos matrix: through the forwarder';
/** MQTT 3.1.1, pub QoS 1/2 × sub QoS 0/1: two cells a downgrade breaks, two it cannot (a QoS 0 subscription delivers QoS 0 anyway). */
const QOS_CI_PATTERN = 'qos matrix: through the forwarder .* MQTT 3\\.1\\.1 pub QoS [12] / sub QoS [01] ';

/**
 * The topics of the tests whose counts are compared (each suite's namespace label, uniquely
 * suffixed: helpers/testbed/topics.ts), so that what the forwarder did to the testbed's probe or to
 * another suite's messages in the same child is not counted.
 */
const TOPICS = {
  cleanSession: /\/restart-\d+-[0-9a-f]+\/stream$/,
  faultsQos1: /\/fault-forwarder-kill-\d+-[0-9a-f]+\/qos1$/,
  light: /\/light-\d+-[0-9a-f]+\//,
};
type ResultsCheck = Extract<CountedCheck, { kind: 'results' }>;
/** Messages the suites count as lost (in the results `results` accepts) = messages the forwarder dropped on `topics`. */
const lostVersusDropped = (results: ResultsCheck['results'], topics: RegExp): CountedCheck => ({
  kind: 'results',
  counter: 'lost',
  figure: 'dropped',
  results,
  topics,
});

interface DefectCase {
  mode: FaultyMode;
  /** The verdict family it proves: the ci profile runs one case of each. */
  family: 'retain' | 'restart loss' | 'delivery' | 'QoS policy';
  files: string[];
  full: Scope;
  ci?: Scope;
  /** A restart and a paced stream or a fault budget: runs alone, after the side-by-side children. */
  paced: boolean;
  failing: RegExp;
  message: RegExp;
  counted?: CountedCheck;
}

const CASES: DefectCase[] = [
  {
    mode: 'strip-retain',
    family: 'retain',
    files: [RETAIN],
    full: RETAIN_SCOPE,
    ci: RETAIN_SCOPE,
    paced: false,
    failing: /retain: through the forwarder > /,
    message: /arrived upstream without its RETAIN flag/,
  },
  {
    mode: 'drop-retained',
    family: 'retain',
    files: [RETAIN],
    full: RETAIN_SCOPE,
    paced: false,
    failing: /retain: through the forwarder > /,
    message: /never arrived upstream/,
  },
  {
    mode: 'ignore-retained-deletes',
    family: 'retain',
    files: [RETAIN],
    full: { ...RETAIN_SCOPE, failures: 1 },
    paced: false,
    failing: /retain: through the forwarder > .* > a retained delete published downstream clears/,
    message: /the retained delete \(empty retained payload\) published downstream never arrived upstream/,
  },
  {
    mode: 'restart-loss',
    family: 'restart loss',
    files: [CLEAN_SESSION],
    full: RESTART_SCOPE,
    ci: RESTART_SCOPE,
    paced: true,
    failing: /clean session: forwarder restart > .* > kill -9 and restart of the forwarder mid-stream/,
    message: /lost \d+ of \d+ QoS 1 messages \(\d+ of them confirmed\) across the forwarder's kill -9 and restart/,
    counted: lostVersusDropped((r) => r.suite === 'clean-session', TOPICS.cleanSession),
  },
  {
    mode: 'restart-loss',
    family: 'restart loss',
    files: [FAULTS],
    full: FAULTS_SCOPE,
    paced: true,
    failing: /faults > .* > kill -9 and restart of the forwarder mid-stream/,
    message:
      /QoS 1: lost \d+ of \d+ QoS 1 messages \(\d+ of them confirmed\) across the kill -9 and restart of the forwarder/,
    // QoS 0 loses what the outage loses, whatever the forwarder; restart-loss drops QoS 1/2 messages only.
    counted: lostVersusDropped((r) => r.suite === 'faults' && r.qos === 1, TOPICS.faultsQos1),
  },
  {
    mode: 'drop',
    family: 'delivery',
    files: [FORWARDING_LOSS],
    full: LOSS_FULL,
    ci: LOSS_CI,
    paced: false,
    failing: LOSS_FAILING,
    message: /max loss rate broken: lossRate = [\d.]+ %[^]*lost \d+ of \d+/,
    counted: lostVersusDropped((r) => r.suite === 'forwarding-loss', TOPICS.light),
  },
  {
    mode: 'duplicate',
    family: 'delivery',
    files: [FORWARDING_LOSS],
    full: LOSS_FULL,
    paced: false,
    failing: LOSS_FAILING,
    message: /max duplicate rate broken: duplicateRate = [\d.]+ %/,
    counted: {
      kind: 'results',
      counter: 'duplicates',
      figure: 'duplicated',
      results: (r) => r.suite === 'forwarding-loss',
      topics: TOPICS.light,
    },
  },
  {
    mode: 'reorder',
    family: 'delivery',
    files: [FORWARDING_LOSS],
    full: LOSS_FULL,
    paced: false,
    failing: LOSS_FAILING,
    message: /max reordered rate broken: reorderedRate = [\d.]+ %/,
    counted: {
      kind: 'results',
      counter: 'reordered',
      figure: 'reordered',
      results: (r) => r.suite === 'forwarding-loss',
      topics: TOPICS.light,
    },
  },
  {
    mode: 'downgrade-qos',
    family: 'QoS policy',
    files: [QOS_MATRIX],
    // Per protocol version the 4 cells with QoS 1/2 on both sides.
    full: { pattern: QOS_FULL_PATTERN, tests: 18, failures: 8 },
    ci: { pattern: QOS_CI_PATTERN, tests: 4, failures: 2 },
    paced: false,
    failing: /qos matrix: through the forwarder > .* > MQTT (3\.1\.1|5) > pub QoS [12] \/ sub QoS [12] /,
    message: /delivered QoS 0 on (\d+) of \1 messages, expected [12] = min\(/,
    counted: { kind: 'qos-cells' },
  },
  {
    mode: 'upgrade-qos',
    family: 'QoS policy',
    files: [QOS_MATRIX],
    // Per protocol version: pub 0 / sub 1, pub 0 / sub 2, pub 1 / sub 2.
    full: { pattern: QOS_FULL_PATTERN, tests: 18, failures: 6 },
    paced: false,
    failing: /qos matrix: through the forwarder > .* > MQTT (3\.1\.1|5) > pub QoS (0 \/ sub QoS [12]|1 \/ sub QoS 2) /,
    message: /delivered QoS [12] on (\d+) of \1 messages, expected [01] = min\(/,
    counted: { kind: 'qos-cells' },
  },
];

type Subject = { kind: 'faulty'; mode: FaultyMode } | { kind: 'reference' };
/**
 * The faulty forwarder in mode none proves its own skeleton is correct, so a failure comes from the
 * defect. The reference forwarder passes these very tests in every npm test (the suites run it on
 * every topology); through the external topology it is a control of the full profile only.
 */
const CONTROLS: readonly Subject[] = FULL
  ? [{ kind: 'faulty', mode: 'none' }, { kind: 'reference' }]
  : [{ kind: 'faulty', mode: 'none' }];
const CONTROLS_PHRASE = FULL
  ? 'the faulty forwarder in mode none and the reference forwarder'
  : 'the faulty forwarder in mode none';

/** The MQTT_TESTBENCH_FORWARDER entry, also the forwarder's name in topology ids and test names. */
function forwarderName(subject: Subject): string {
  return subject.kind === 'reference' ? 'reference' : `command:${FAULTY_COMMAND} --mode ${subject.mode}`;
}

/** One child run: the faulty forwarder in one mode and/or the controls, each in its own topology, over the same tests. */
interface ChildPlan {
  title: string;
  label: string;
  paced: boolean;
  /** The mode under test and its cases (absent: controls only). */
  defect?: { mode: FaultyMode; cases: DefectCase[] };
  /** Forwarders that must pass every selected test. */
  controls: readonly Subject[];
  files: string[];
  pattern: string;
  /** Tests the pattern selects per forwarder. */
  tests: number;
  /** Runs in this profile (else skipped with FULL_ONLY). */
  runs: boolean;
}

const scopeOf = (c: DefectCase): Scope | undefined => (FULL ? c.full : c.ci);

/** The union of the cases' scopes (in this profile; the full one for a plan that does not run). */
function union(cases: readonly DefectCase[]): Pick<ChildPlan, 'files' | 'pattern' | 'tests'> {
  const scopes = new Map<string, { file: string; scope: Scope }>();
  for (const c of cases) {
    const scope = scopeOf(c) ?? c.full;
    for (const file of c.files) scopes.set(`${file} ${scope.pattern}`, { file, scope });
  }
  const all = [...scopes.values()];
  return {
    files: [...new Set(all.map((s) => s.file))],
    pattern:
      all.length === 1
        ? (all[0] as { scope: Scope }).scope.pattern
        : all.map((s) => `(?:${s.scope.pattern})`).join('|'),
    tests: all.reduce((sum, s) => sum + s.scope.tests, 0),
  };
}

const suiteNames = (files: readonly string[]) => files.map((f) => f.replace(/^suites\/|\.test\.ts$/g, '')).join(', ');

/**
 * One child per mode and pace. Behaviour-only children run side by side, the controls in a child
 * of their own beside them; a paced child (a restart) runs alone, so it carries its controls:
 * they run after its defect in the same child, one topology after the other.
 */
function childPlans(paced: boolean): ChildPlan[] {
  const cases = CASES.filter((c) => c.paced === paced);
  const plans: ChildPlan[] = [];
  for (const mode of [...new Set(cases.map((c) => c.mode))]) {
    const mine = cases.filter((c) => c.mode === mode);
    const running = mine.filter((c) => scopeOf(c));
    const scope = union(running.length > 0 ? running : mine);
    const controls = paced ? CONTROLS : [];
    plans.push({
      title: `${describeMode({ mode })}: ${suiteNames(scope.files)} fail${scope.files.length > 1 ? '' : 's'} (${[...new Set(mine.map((c) => c.family))].join(', ')}), saying what was wrong${controls.length > 0 ? `; with ${CONTROLS_PHRASE} they pass` : ''}`,
      label: mode,
      paced,
      defect: { mode, cases: running },
      controls,
      ...scope,
      runs: running.length > 0,
    });
  }
  if (!paced) {
    const scope = union(cases.filter((c) => scopeOf(c)));
    plans.unshift({
      title: `control: ${CONTROLS_PHRASE} pass${CONTROLS.length > 1 ? '' : 'es'} ${suiteNames(scope.files)} (${scope.tests} tests${CONTROLS.length > 1 ? ' each' : ''})`,
      label: 'controls',
      paced,
      controls: CONTROLS,
      ...scope,
      runs: true,
    });
  }
  return plans;
}

describe('the suites catch a broken forwarder (a faulty command: forwarder between two brokers)', () => {
  let downstream: SelftestBroker | undefined;
  let upstream: SelftestBroker | undefined;

  beforeAll(async () => {
    if (unavailable) return;
    const options = { binary: targetSetting(settings, MOSQUITTO_BIN), startupTimeoutMs: settings.startupTimeoutMs };
    [downstream, upstream] = await Promise.all([
      startSelftestBroker('selftest-fwd-downstream', options),
      startSelftestBroker('selftest-fwd-upstream', options),
    ]);
  }, settings.startupTimeoutMs + 10_000);

  afterAll(async () => {
    await Promise.all([downstream?.stop(), upstream?.stop()]);
  });

  // A paced child (a stream with a restart budget) keeps the machine to itself: the measuring
  // project runs those; the behaviour project the others, beside other files (vitest.config.ts).
  for (const paced of [inject('suiteProject') === 'measure']) {
    const group = paced
      ? 'with a restart (a paced stream, a fault budget): one child at a time'
      : 'behaviour only: children side by side';
    describe(group, { concurrent: !paced, timeout: CHILD_BUDGET_MS + 30_000 }, () => {
      for (const child of childPlans(paced)) {
        test(child.title, async (ctx) => {
          if (unavailable) skipTest(ctx, 'environment', unavailable);
          if (!child.runs) skipTest(ctx, 'not-selected', FULL_ONLY);
          const subjects: Subject[] = [
            ...(child.defect ? [{ kind: 'faulty', mode: child.defect.mode } as const] : []),
            ...child.controls,
          ];
          mkdirSync(childReportDir(), { recursive: true });
          const statsDir = mkdtempSync(join(childReportDir(), `forwarder-stats-${child.label}-`));
          const outcome = await runChildSuites({
            label: `fwd-${child.label}`,
            files: child.files,
            testNamePattern: child.pattern,
            external: { downstream: (downstream as SelftestBroker).url, upstream: (upstream as SelftestBroker).url },
            env: { MQTT_TESTBENCH_FORWARDER: subjects.map(forwarderName).join(','), [STATS_DIR_ENV]: statsDir },
            timeoutMs: CHILD_BUDGET_MS,
            context: ctx,
          });
          const stats = readFaultyForwarderStats(statsDir);
          await annotate(ctx, outcome, stats);
          const hint = `(child run ${outcome.runId}, reports in ${outcome.reportFolder}; forwarder figures in ${statsDir}; reproduce: ${outcome.command})`;
          const report = outcome.report;
          expect(
            report,
            `the child run wrote no report: ${outcome.reportError} ${hint}\n${outcome.tail}`,
          ).toBeDefined();
          if (!report) return;

          const problems = scopeProblems(outcome, child.pattern, child.tests * subjects.length);
          for (const control of child.controls) {
            const failed = failuresOf(report, forwarderName(control));
            if (failed.length > 0)
              problems.push(
                `control ${forwarderName(control)} must pass, but: ${failed.map(describeFailure).join(' || ')}`,
              );
          }
          if (child.controls.some((s) => s.kind === 'faulty')) {
            const none = stats.filter((s) => s.mode === 'none');
            if (sumFigure(none, 'received', () => true) === 0)
              problems.push('the faulty forwarder in mode none forwarded nothing');
            const changed = none.flatMap((s) => s.samples);
            if (changed.length > 0)
              problems.push(`in mode none the faulty forwarder changed messages: ${changed.slice(0, 3).join('; ')}`);
          }
          if (child.defect) {
            const { mode, cases } = child.defect;
            const what = describeMode({ mode });
            const mine = stats.filter((s) => s.mode === mode);
            if (mine.length === 0) problems.push(`the faulty forwarder wrote no figures to ${statsDir}`);
            else if (mine.every((s) => s.samples.length === 0))
              problems.push('the defect never fired, so this case proves nothing');
            const expectations = cases.map((c) => ({
              ...(scopeOf(c) as Scope),
              files: c.files,
              failing: c.failing,
              message: c.message,
              counted: c.counted,
            }));
            problems.push(...defectProblems(report, forwarderName({ kind: 'faulty', mode }), what, expectations, mine));
            if (outcome.exit.code === 0 || report.verdict !== 'fail')
              problems.push(
                `the child run failed tests but exited ${JSON.stringify(outcome.exit)} with verdict ${report.verdict}`,
              );
          } else if (outcome.exit.code !== 0) {
            problems.push(`the control run exited ${JSON.stringify(outcome.exit)}`);
          }
          expect(
            problems,
            `the suites' verdicts on the forwarder are not what they must be ${hint}\n${outcome.tail}`,
          ).toEqual([]);
        });
      }
    });
  }
});

/** e.g. `drop: 1 process: received 225, forwarded 221, dropped 4`, per mode. */
function figures(stats: readonly FaultyForwarderStats[]): string {
  const modes = [...new Set(stats.map((s) => s.mode))];
  if (modes.length === 0) return 'no faulty forwarder figures';
  return modes
    .map((mode) => {
      const mine = stats.filter((s) => s.mode === mode);
      const totals: Record<string, number> = {};
      for (const s of mine)
        for (const [name, value] of Object.entries(s.totals)) totals[name] = (totals[name] ?? 0) + (value ?? 0);
      const list = Object.entries(totals).map(([name, value]) => `${name} ${value}`);
      return `${mode}: ${mine.length} process(es)${mine.some((s) => s.resumedSession) ? ' (restarted)' : ''}: ${list.join(', ') || 'nothing received'}`;
    })
    .join('; ');
}

/** What the child run did, on the test (JUnit properties, the report): counts, duration, the forwarder's figures, the first failures. */
async function annotate(
  ctx: TestContext,
  outcome: ChildSuitesOutcome,
  stats: readonly FaultyForwarderStats[],
): Promise<void> {
  const report = outcome.report;
  const counts = report
    ? `${report.tests.passed} passed, ${report.tests.failed} failed, ${report.tests.skipped} skipped`
    : 'no report';
  await ctx.annotate(
    `child run ${outcome.runId}: ${counts} in ${(outcome.durationMs / 1000).toFixed(1)} s; ${figures(stats)}; reproduce: ${outcome.command}`,
  );
  for (const failure of (report?.failures ?? []).slice(0, 4)) await ctx.annotate(`failed: ${describeFailure(failure)}`);
  const samples = stats.flatMap((s) => s.samples).slice(0, 3);
  if (samples.length > 0) await ctx.annotate(`the faulty forwarder, e.g.: ${samples.join('; ')}`);
}
