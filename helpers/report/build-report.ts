/**
 * Builds report.json from what a run produced: the run plan (runtime and why, targets, forwarders,
 * topologies, machine) and the tests with the results they attached. Pure: the vitest reporter
 * collects the inputs, this turns them into the report.
 */
import { cpus as osCpus, totalmem } from 'node:os';
import { isCi } from '../config/ci.js';
import type { RunPlan } from '../testbed/run-plan.js';
import { behaviourRows } from '../targets/behaviour.js';
import { fingerprintOf } from './baseline.js';
import { combineResults, groupBy, verdictOf } from './combine.js';
import { resultKey, subjectTargetVersions } from './keys.js';
import {
  REPORT_SCHEMA_VERSION,
  type EnvironmentInfo,
  type FailedTest,
  type FileTiming,
  type ReportResult,
  type SkippedTest,
  type TargetEntry,
  type TestbenchReport,
  type TestRef,
} from './report-types.js';
import type { TestbenchResult } from './testbench-result.js';

/** One test of the run, as the reporter collected it. */
export interface CollectedTest {
  /** vitest's test id, unique within the run. */
  id: string;
  ref: TestRef;
  results: TestbenchResult[];
  /** The reason given to `skip(reason)`. */
  skipNote?: string;
}

export interface BuildReportInput {
  runId: string;
  plan: RunPlan | undefined;
  tests: readonly CollectedTest[];
  startedAt: Date;
  finishedAt: Date;
  state: 'passed' | 'failed' | 'interrupted';
  /** Errors outside tests: unhandled errors, failed hooks, files that did not load. */
  errors: readonly string[];
  /** Every test file's time (both projects). */
  files?: readonly FileTiming[];
  command: string;
  generatorVersion: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export function buildReport(input: BuildReportInput): TestbenchReport {
  const env = input.env ?? process.env;
  const results = collectResults(input.runId, input.tests);
  const plan = input.plan;
  const profile = plan?.profile ?? env['MQTT_TESTBENCH_PROFILE'] ?? 'ci';
  const environment = environmentOf(plan, profile, results, env);
  const tests = input.tests;
  const skipped: SkippedTest[] = tests
    .filter((t) => t.ref.state === 'skipped' && t.skipNote)
    .map((t) => ({ test: t.ref, reason: t.skipNote as string }));
  const failures: FailedTest[] = tests
    .filter((t) => t.ref.state === 'failed')
    .map((t) => ({
      test: t.ref,
      error: t.ref.error ?? 'failed without an error message',
      measured: t.results.length > 0,
    }));
  const report: TestbenchReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generator: { name: 'mqtt-testbench', version: input.generatorVersion },
    run: {
      id: input.runId,
      startedAt: input.startedAt.toISOString(),
      finishedAt: input.finishedAt.toISOString(),
      durationMs: Math.max(0, input.finishedAt.getTime() - input.startedAt.getTime()),
      profile,
      strict: plan?.strict ?? false,
      command: input.command,
      state: input.state,
      errors: [...input.errors, ...ungated(results)],
    },
    environment,
    targets: targetsOf(plan, results),
    forwarders: (plan?.forwarders ?? []).map((f) => ({
      spec: f.spec,
      kind: f.kind,
      name: f.name,
      status: f.status === 'ready' ? 'ran' : 'skipped',
      ...(f.status === 'skipped' ? { reason: f.reason } : {}),
      declaration: { ...f.declaration },
    })),
    topologies: (plan?.topologies ?? []).map((t) => ({
      id: t.id,
      downstream: t.downstream,
      upstream: t.upstream,
      forwarder: t.forwarder,
      runtime: t.runtime,
      status: t.status === 'ready' ? 'ran' : 'skipped',
      ...(t.status === 'skipped' ? { reason: t.reason } : {}),
    })),
    results,
    tests: {
      total: tests.length,
      passed: tests.filter((t) => t.ref.state === 'passed').length,
      failed: tests.filter((t) => t.ref.state === 'failed').length,
      skipped: tests.filter((t) => t.ref.state === 'skipped').length,
      measured: tests.filter((t) => t.results.length > 0).length,
    },
    skipped,
    failures,
    ...(input.files ? { timing: { files: [...input.files].sort((a, b) => b.durationMs - a.durationMs) } } : {}),
    verdict: 'pass',
  };
  report.verdict = overallVerdict(report);
  return report;
}

/**
 * Every scenario that measured a message flow (counters with latency or throughput) carries its
 * gates: a measured scenario without them would pass whatever it measured. One error per such result.
 */
function ungated(results: readonly ReportResult[]): string[] {
  return results
    .filter((r) => r.counters && (r.latency || r.throughput) && !r.qosCell && (r.gates ?? []).length === 0)
    .map((r) => `${r.key}: measured a message flow but carries no gate (a suite must gate what it measures)`);
}

/**
 * fail when a test or result failed, the run had errors or was interrupted, or the baseline
 * comparison failed or was refused; inconclusive when nothing failed but a timing verdict could not
 * be decided (allowed: not strict, not CI, or allowInconclusive in the gate file).
 */
export function overallVerdict(
  report: Pick<TestbenchReport, 'run' | 'tests' | 'results' | 'baseline'>,
): 'pass' | 'fail' | 'inconclusive' {
  if (report.tests.failed > 0 || report.run.errors.length > 0 || report.run.state !== 'passed') return 'fail';
  if (report.results.some((r) => r.verdict === 'fail')) return 'fail';
  if (report.baseline && report.baseline.verdict === 'fail') return 'fail';
  if (report.baseline && report.baseline.verdict === 'refused') return 'fail';
  if (report.results.some((r) => r.verdict === 'inconclusive')) return 'inconclusive';
  if (report.baseline && report.baseline.verdict === 'inconclusive') return 'inconclusive';
  return 'pass';
}

/**
 * One entry per scenario: results a test attached several times under one key (vitest `repeats`)
 * are combined as repeats. Two different tests with the same key (a suite that does not set
 * `variant`) keep apart by taking the test name as variant.
 */
function collectResults(runId: string, tests: readonly CollectedTest[]): ReportResult[] {
  const raw = tests.flatMap((t) =>
    t.results.map((result) => {
      const { verdict, reason } = verdictOf(t.ref.state, result.gates);
      const entry: ReportResult = { ...result, key: resultKey(result), test: t.ref, verdict };
      if (reason) entry.verdictReason = reason;
      return { testId: t.id, entry };
    }),
  );
  const testsPerKey = new Map<string, Set<string>>();
  for (const { testId, entry } of raw)
    testsPerKey.set(entry.key, (testsPerKey.get(entry.key) ?? new Set()).add(testId));
  for (const { entry } of raw) {
    if ((testsPerKey.get(entry.key)?.size ?? 0) > 1) {
      // The test name is what tells them apart here; suites should set `variant` themselves.
      entry.variant = entry.variant ? `${entry.variant} · ${entry.test.name}` : entry.test.name;
      entry.key = resultKey(entry);
      (entry.notes ??= []).push(
        'Another test reported a result under the same suite, scenario, subject, protocol and QoS; the test name was added as its variant (set `variant` on the result to choose it).',
      );
    }
  }
  const groups = groupBy(raw, ({ testId, entry }) => `${testId}\u0000${entry.key}`);
  return [...groups.values()].map((group) =>
    combineResults(
      group.map(({ entry }) => ({ result: entry, runId })),
      'repeats',
    ),
  );
}

function environmentOf(
  plan: RunPlan | undefined,
  profile: string,
  results: readonly ReportResult[],
  env: Readonly<Record<string, string | undefined>>,
): EnvironmentInfo {
  const machine = plan?.machine ?? {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: osCpus().length,
    cpuModel: osCpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 2 ** 20),
  };
  const runtime = plan?.runtime ?? {
    kind: 'unknown',
    reason: 'the run plan is missing: the global setup of the suites did not complete (see the run errors)',
  };
  const environment: EnvironmentInfo = {
    runtime: { kind: runtime.kind, reason: runtime.reason },
    docker: plan?.docker ?? { ok: false, reason: 'unknown: no run plan' },
    node: machine.node,
    platform: machine.platform,
    cpus: machine.cpus,
    cpuModel: machine.cpuModel,
    memoryMb: machine.memoryMb,
    profile,
    ci: isCi(env),
    fingerprint: fingerprintOf(runtime.kind, machine.cpus, profile, results),
  };
  if (env['GITHUB_ACTIONS'] === 'true') {
    environment.github = {
      repository: env['GITHUB_REPOSITORY'] ?? '',
      sha: env['GITHUB_SHA'] ?? '',
      runId: env['GITHUB_RUN_ID'] ?? '',
      workflow: env['GITHUB_WORKFLOW'] ?? '',
      ref: env['GITHUB_REF'] ?? '',
    };
  }
  return environment;
}

function targetsOf(plan: RunPlan | undefined, results: readonly ReportResult[]): TargetEntry[] {
  const versions = new Map<string, Set<string>>();
  for (const r of results) {
    for (const tv of subjectTargetVersions(r.subject)) {
      const at = tv.indexOf('@');
      const name = tv.slice(0, at);
      versions.set(name, (versions.get(name) ?? new Set()).add(tv.slice(at + 1)));
    }
  }
  return (plan?.targets ?? []).map((t) => {
    const entry: TargetEntry = {
      name: t.name,
      runtime: t.runtime,
      status: t.status === 'ready' ? 'ran' : 'skipped',
      versions: [...(versions.get(t.name) ?? [])].sort(),
      behaviour: {
        queuesQos0WhileOffline: t.behaviour.queuesQos0WhileOffline.value,
        mqtt5: t.behaviour.mqtt5.value,
        notes: [...t.behaviour.notes],
        version: t.behaviour.version,
        table: behaviourRows(t.behaviour),
      },
    };
    if (t.status === 'skipped') entry.reason = t.reason;
    else if (t.detail) entry.detail = t.detail;
    return entry;
  });
}
