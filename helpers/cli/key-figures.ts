/**
 * Key figures of a run, for the documentation: per measured scenario its throughput, p50/p99 and
 * loss, with the run (id, profile, date, the command that produced it) and the machine. Extracted
 * from a report.json into a small JSON that is committed (a report is a local run output and is
 * not), and rendered as a Markdown section from that JSON, so every figure in docs/ comes from a
 * report and the docs can be regenerated and checked (helpers/cli/docs-figures.test.ts).
 */
import * as z from 'zod';
import type { CpuShares } from '../stats/cpu-shares.js';
import { count, duration, lostCell, ms, percent, rate } from '../stats/format.js';
import { subjectLabel } from '../report/keys.js';
import { scenarioLabel, sortResults } from '../report/markdown.js';
import type { TestbenchReport } from '../report/report-types.js';
import { lossRateOf } from '../report/testbench-result.js';

export const FIGURES_KIND = 'mqtt-testbench figures';
export const FIGURES_SCHEMA_VERSION = 1;

const figure = z.number().nullable();
const scenarioFigures = z.strictObject({
  suite: z.string(),
  scenario: z.string(),
  subject: z.string(),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).nullable(),
  attempted: z.number().int().min(0),
  received: z.number().int().min(0),
  lost: z.number().int().min(0),
  lostUnacknowledged: z.number().int().min(0),
  /** lost / expected; null for a publish-only scenario (nothing was expected). */
  lossRate: figure,
  publishPerSec: figure,
  receivePerSec: figure,
  p50Us: figure,
  p99Us: figure,
  verdict: z.enum(['pass', 'fail', 'skip', 'inconclusive']),
  harnessSaturated: z.boolean(),
  /** Cores used while the scenario measured: by the harness, the system under test, everything else (null: not visible). */
  cpu: z.strictObject({ harnessCores: z.number(), systemUnderTestCores: figure, otherCores: figure }).nullable(),
});

export const keyFiguresSchema = z.strictObject({
  kind: z.literal(FIGURES_KIND),
  schemaVersion: z.literal(FIGURES_SCHEMA_VERSION),
  run: z.strictObject({
    id: z.string(),
    startedAt: z.string(),
    durationMs: z.number(),
    profile: z.string(),
    command: z.string(),
    verdict: z.enum(['pass', 'fail', 'skip', 'inconclusive']),
    tests: z.strictObject({ total: z.number(), passed: z.number(), failed: z.number(), skipped: z.number() }),
  }),
  machine: z.strictObject({
    cpus: z.number(),
    cpuModel: z.string(),
    memoryMb: z.number(),
    platform: z.string(),
    node: z.string(),
    runtime: z.string(),
    docker: z.string().nullable(),
  }),
  /** `target@version` of every broker that ran. */
  brokers: z.array(z.string()),
  /** The suites the figures were limited to (`--suite`), or null for every measured scenario. */
  suites: z.array(z.string()).nullable(),
  scenarios: z.array(scenarioFigures),
});

export type KeyFigures = z.infer<typeof keyFiguresSchema>;
export type ScenarioFigures = z.infer<typeof scenarioFigures>;

/** The suites of a report that have measured scenarios (what `--suite` can choose from). */
export function measuredSuites(report: TestbenchReport): string[] {
  return [...new Set(measuredResults(report).map((r) => r.suite))].sort();
}

export function extractKeyFigures(report: TestbenchReport, suites?: readonly string[]): KeyFigures {
  const selected = measuredResults(report).filter((r) => !suites || suites.includes(r.suite));
  const env = report.environment;
  return {
    kind: FIGURES_KIND,
    schemaVersion: FIGURES_SCHEMA_VERSION,
    run: {
      id: report.run.id,
      startedAt: report.run.startedAt,
      durationMs: report.run.durationMs,
      profile: report.run.profile,
      command: report.run.command,
      verdict: report.verdict,
      tests: {
        total: report.tests.total,
        passed: report.tests.passed,
        failed: report.tests.failed,
        skipped: report.tests.skipped,
      },
    },
    machine: {
      cpus: env.cpus,
      cpuModel: env.cpuModel,
      memoryMb: env.memoryMb,
      platform: env.platform,
      node: env.node,
      runtime: env.runtime.kind,
      docker: env.docker.ok ? env.docker.serverVersion : null,
    },
    brokers: env.fingerprint.targetVersions,
    suites: suites ? [...suites] : null,
    scenarios: sortResults(selected).map((r) => {
      const c = r.counters as NonNullable<typeof r.counters>;
      const latency = r.latency && r.latency.count > 0 ? r.latency : undefined;
      return {
        suite: r.suite,
        scenario: scenarioLabel(r),
        subject: subjectLabel(r.subject),
        qos: r.qos ?? null,
        attempted: c.attempted,
        received: c.received,
        lost: c.lost,
        lostUnacknowledged: c.lostUnacknowledged,
        lossRate: lossRateOf(c) ?? null,
        publishPerSec: r.throughput?.publishPerSec ?? null,
        receivePerSec: r.throughput && c.expected > 0 ? r.throughput.receivePerSec : null,
        p50Us: latency?.p50 ?? null,
        p99Us: latency?.p99 ?? null,
        verdict: r.verdict,
        harnessSaturated: r.diagnostics?.harnessSaturated ?? false,
        cpu: cpuFigures(r.diagnostics?.cpu),
      };
    }),
  };
}

/** The Markdown section of a figures file: where they come from, then one row per scenario. */
export function renderKeyFigures(figures: KeyFigures): string {
  const { run, machine: m } = figures;
  const date = `${run.startedAt.slice(0, 10)} ${run.startedAt.slice(11, 16)} UTC`;
  const t = run.tests;
  const lines = [
    `### Run \`${run.id}\`: profile ${run.profile}, ${date}`,
    '',
    `- **Command**: \`${run.command}\` (${duration(run.durationMs)}; ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped of ${t.total} tests; verdict ${run.verdict})`,
    `- **Machine**: ${m.cpus} CPUs (${m.cpuModel}), ${count(m.memoryMb)} MB, ${m.platform}, Node ${m.node}, runtime ${m.runtime}${m.docker ? `, Docker ${m.docker}` : ''}`,
    `- **Brokers**: ${figures.brokers.join(', ') || 'none'}`,
    `- **Scenarios**: ${figures.suites ? `suites ${figures.suites.join(', ')}` : 'every measured scenario'} (${figures.scenarios.length})`,
    '',
    'msg/s: received per second over all subscribers, and confirmed publishes per second; p50/p99: end-to-end latency in ms; lost: attempted and never received ("never acked": no PUBACK/PUBCOMP from the broker, or never written at QoS 0); loss % = lost / (attempted × receivers); CPU: cores used while it measured by the harness / the broker and forwarder / other work on the machine (? not visible); – where the scenario does not measure it (publish-only: no delivery).',
    '',
    '| suite | scenario | subject | QoS | received msg/s | published msg/s | p50 ms | p99 ms | attempted | lost | loss % | CPU | verdict |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of figures.scenarios) {
    const cells = [
      s.suite,
      s.scenario,
      s.subject,
      s.qos ?? '–',
      s.receivePerSec === null ? '–' : rate(s.receivePerSec),
      s.publishPerSec === null ? '–' : rate(s.publishPerSec),
      s.p50Us === null ? '–' : ms(s.p50Us),
      s.p99Us === null ? '–' : ms(s.p99Us),
      count(s.attempted),
      s.lossRate === null ? '–' : lostCell(s),
      s.lossRate === null ? '–' : percent(s.lossRate),
      cpuCell(s.cpu),
      `${s.verdict}${s.harnessSaturated ? ' (harness saturated)' : ''}`,
    ];
    lines.push(`| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function cpuFigures(cpu: CpuShares | undefined): ScenarioFigures['cpu'] {
  if (!cpu) return null;
  const sut = cpu.systemUnderTestCores;
  const others =
    cpu.machineBusyCores === null || sut === null ? null : Math.max(0, cpu.machineBusyCores - cpu.harnessCores - sut);
  return { harnessCores: cpu.harnessCores, systemUnderTestCores: sut, otherCores: others };
}

/** `0.93 / 0.61 / 0.35`: cores of the harness, the system under test and other work. */
function cpuCell(cpu: ScenarioFigures['cpu']): string {
  if (!cpu) return '–';
  const cores = (value: number | null): string => (value === null ? '?' : value.toFixed(2));
  return `${cores(cpu.harnessCores)} / ${cores(cpu.systemUnderTestCores)} / ${cores(cpu.otherCores)}`;
}

/** Results with counters and a latency or throughput: the scenarios the report's loss table shows. */
function measuredResults(report: TestbenchReport): TestbenchReport['results'] {
  return report.results.filter((r) => r.counters && !r.qosCell && (r.latency || r.throughput));
}
