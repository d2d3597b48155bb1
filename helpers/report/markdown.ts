/**
 * report.md: the report for people, in GitHub-flavoured Markdown (also appended to
 * $GITHUB_STEP_SUMMARY). Sections: summary, targets (skipped ones with the reason), baseline
 * comparison, broken gates, QoS grids, the loss table, other results, failures, skipped tests.
 */
import { timingSection } from './timing.js';
import { describeChange, formatSample } from './baseline.js';
import { count, duration, gateValue, lostCell, ms, percent, rate } from '../stats/format.js';
import { protocolLabel, subjectLabel } from './keys.js';
import { cellMarks, gridNotes, qosGrids, type QosGrid } from './qos-grid.js';
import type { ReportResult, TestbenchReport } from './report-types.js';
import { lossRateOf } from './testbench-result.js';

const VERDICT_ICON = { pass: '✅', fail: '❌', skip: '⏭️', inconclusive: '❔' } as const;

export function renderMarkdown(report: TestbenchReport): string {
  const out: string[] = [];
  const { run, environment: env, tests } = report;
  out.push(`# mqtt-testbench report: ${VERDICT_ICON[report.verdict]} ${report.verdict.toUpperCase()}`);
  out.push('');
  out.push(
    `Run \`${run.id}\` · profile **${run.profile}**${run.strict ? ' (strict)' : ''} · ${duration(run.durationMs)} · ` +
      `${tests.passed} passed, ${tests.failed} failed, ${tests.skipped} skipped of ${tests.total} tests · ${report.results.length} measured scenarios`,
  );
  out.push('');
  out.push(`- **Runtime**: ${env.runtime.kind}: ${env.runtime.reason}`);
  out.push(
    `- **Machine**: ${env.cpus} CPUs (${env.cpuModel}), ${count(env.memoryMb)} MB, ${env.platform}, Node ${env.node}${env.docker.ok ? `, Docker ${env.docker.serverVersion}` : ''}`,
  );
  out.push(
    `- **Fingerprint**: \`${env.fingerprint.id}\` (${env.fingerprint.targetVersions.join(', ') || 'no broker ran'})`,
  );
  out.push(`- **Command**: \`${run.command}\``);
  if (run.mergedFrom)
    out.push(
      `- **Merged from** ${run.mergedFrom.length} reports: ${run.mergedFrom.map((m) => `\`${m.runId}\``).join(', ')}`,
    );
  out.push('');
  if (run.errors.length > 0) {
    out.push('> [!CAUTION]');
    for (const error of run.errors) out.push(`> ${oneLine(error)}`);
    out.push('');
  }

  out.push(...targetsSection(report));
  out.push(...behaviourSection(report));
  if (report.baseline) out.push(...baselineSection(report));
  out.push(...gatesSection(report.results));
  out.push(...qosGridSection(qosGrids(report.results)));
  out.push(...lossTableSection(report.results));
  out.push(...otherResultsSection(report.results));
  out.push(...failuresSection(report));
  out.push(...skippedSection(report));
  out.push(...timingSection(report));
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function targetsSection(report: TestbenchReport): string[] {
  const out = ['## Targets', '', '| target | runtime | status | version | note |', '| --- | --- | --- | --- | --- |'];
  for (const t of report.targets) {
    out.push(
      row([
        t.name,
        t.runtime,
        t.status === 'ran' ? '✅ ran' : '⏭️ skipped',
        t.versions.join(', ') || '–',
        t.status === 'skipped' ? (t.reason ?? '') : (t.detail ?? ''),
      ]),
    );
  }
  if (report.targets.length === 0) out.push(row(['–', '–', '–', '–', 'no run plan: the global setup did not run']));
  const skippedForwarders = report.forwarders.filter((f) => f.status === 'skipped');
  const skippedTopologies = report.topologies.filter((t) => t.status === 'skipped');
  out.push('');
  if (report.forwarders.length > 0) {
    out.push(`Forwarders: ${report.forwarders.map((f) => `${f.name} (${f.status})`).join(', ')}.`);
    for (const f of skippedForwarders) out.push(`- forwarder **${f.name}** skipped: ${oneLine(f.reason ?? '')}`);
  }
  if (report.topologies.length > 0) {
    out.push(
      '',
      `Topologies: ${report.topologies.length - skippedTopologies.length} ran, ${skippedTopologies.length} skipped.`,
    );
    for (const t of skippedTopologies) out.push(`- **${t.id}** skipped: ${oneLine(t.reason ?? '')}`);
  }
  out.push('');
  return out;
}

/**
 * Each target's behaviour table: what the broker documents where the spec leaves a choice or where
 * it deviates, with the source. The suites took their expectations from here, so a deviation is
 * visible as declared, never taken silently from the broker's own behaviour.
 */
function behaviourSection(report: TestbenchReport): string[] {
  const documented = report.targets.filter((t) => t.status === 'ran' && t.behaviour?.table?.length);
  if (documented.length === 0) return [];
  const out = [
    '## Behaviour tables',
    '',
    'What each broker documents where the MQTT spec leaves a choice (choice), where it departs from the spec (deviation) and the limits a test can run into (limit). The suites expect exactly this; a deviation that is not declared here fails.',
    '',
  ];
  for (const t of documented) {
    out.push(
      `### ${t.name} ${t.behaviour?.version ?? ''}`.trimEnd(),
      '',
      '| entry | value | kind | what the broker does | source |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const r of t.behaviour?.table ?? [])
      out.push(
        row([r.entry, r.value, r.kind === 'deviation' ? '**deviation**' : r.kind, r.says, `[docs](${r.source})`]),
      );
    out.push('');
  }
  return out;
}

function baselineSection(report: TestbenchReport): string[] {
  const b = report.baseline;
  if (!b) return [];
  const icon = b.verdict === 'pass' ? '✅' : b.verdict === 'fail' ? '❌' : '⚠️';
  const out = [`## Baseline comparison ${icon}`, '', oneLine(b.message), ''];
  if (b.verdict === 'refused') return out;
  const t = b.tolerances;
  out.push(
    `Tolerances (${b.tolerancesSource}): p50 +${t.latencyP50Rel * 100} %, p99 +${t.latencyP99Rel * 100} % (at least +${ms(t.latencySlackUs)} ms), ` +
      `throughput −${t.throughputRel * 100} %, loss +${t.lossAbs * 100} pp. Medians over repeats, [min–max, n] when a scenario ran more than once.`,
    '',
  );
  const rows = b.comparisons.filter((c) => c.figures.length > 0);
  if (rows.length > 0) {
    out.push(
      '| scenario | subject | QoS | p50 | p99 | msg/s | loss | status |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const order = { regressed: 0, untrusted: 1, improved: 2, ok: 3 } as const;
    for (const c of [...rows].sort((a, z) => order[a.status] - order[z.status])) {
      const cell = (figure: 'p50Us' | 'p99Us' | 'receivePerSec' | 'lossRate'): string => {
        const f = c.figures.find((x) => x.figure === figure);
        if (!f) return '–';
        const mark =
          f.status === 'regressed' ? ' ❌' : f.status === 'improved' ? ' 🟢' : f.status === 'untrusted' ? ' ⚠️' : '';
        return `${describeChange(f)}${mark}`;
      };
      out.push(
        row([
          `${c.suite} ${c.scenario}${c.variant ? ` · ${c.variant}` : ''}`,
          c.subject,
          c.qos ?? '–',
          cell('p50Us'),
          cell('p99Us'),
          cell('receivePerSec'),
          cell('lossRate'),
          c.status,
        ]),
      );
    }
    out.push('');
  }
  if (b.missing.length > 0)
    out.push(`Not measured in this run (in the baseline): ${b.missing.length} scenario(s).`, '');
  if (b.added.length > 0) out.push(`New in this run (not in the baseline): ${b.added.length} scenario(s).`, '');
  return out;
}

function gatesSection(results: readonly ReportResult[]): string[] {
  const gated = results.filter((r) => r.gates && r.gates.length > 0);
  if (gated.length === 0) return [];
  const broken = gated.flatMap((r) => (r.gates ?? []).filter((g) => !g.passed).map((g) => ({ r, g })));
  const total = gated.reduce((n, r) => n + (r.gates?.length ?? 0), 0);
  const out = [
    '## Gates',
    '',
    `${total - broken.length} of ${total} gate checks passed${broken.length > 0 ? `, **${broken.length} broken**:` : '.'}`,
    '',
  ];
  if (broken.length > 0) {
    out.push(
      '| scenario | subject | QoS | gate | measured | limit | source |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const { r, g } of broken) {
      out.push(
        row([
          scenarioLabel(r),
          subjectLabel(r.subject),
          r.qos ?? '–',
          `❌ ${g.name}`,
          gateValue(g.measured, g.unit),
          `${g.comparison} ${gateValue(g.limit, g.unit)}`,
          g.source,
        ]),
      );
    }
    out.push('');
  }
  return out;
}

function qosGridSection(grids: readonly QosGrid[]): string[] {
  if (grids.length === 0) return [];
  const out = [
    '## QoS grids',
    '',
    'Rows: publish QoS; columns: subscribe QoS. Each cell: the QoS observed on the received PUBLISH packets, ✓ when it equals the expected QoS and the test passed, ✗ otherwise (the failures section says why). A grant below the requested QoS that the broker documents, and a deviation from the spec a broker declares, are footnoted with their source.',
    '',
  ];
  for (const grid of grids) {
    out.push(`### ${grid.subject} · ${grid.path} · ${protocolLabel(grid.protocolVersion)}`, '');
    if (grid.expectation) out.push(`Expected: ${grid.expectation}`, '');
    out.push('| pub \\ sub | 0 | 1 | 2 |', '| --- | --- | --- | --- |');
    for (const pub of [0, 1, 2] as const) {
      out.push(
        row([
          `**${pub}**`,
          ...([0, 1, 2] as const).map((sub) => {
            const cell = grid.cells[pub][sub];
            if (!cell) return '–';
            const marks = cellMarks(grid, pub, sub);
            if (cell.verdict === 'skip') return `skipped${marks}`;
            const observed = cell.observed.length > 0 ? cell.observed.join(',') : 'none';
            const granted = cell.granted !== undefined && cell.granted < sub ? ` (granted ${cell.granted})` : '';
            if (cell.ok) return `${observed} ✓${granted}${marks}`;
            // The right QoS, but the test failed on something else (counts, duplicates): say so, not "expected".
            const rightQos = cell.observed.length === 1 && cell.observed[0] === cell.expected;
            return `${observed} ✗ (${rightQos ? 'test failed' : `expected ${cell.expected}`})${granted}${marks}`;
          }),
        ]),
      );
    }
    out.push('');
    for (const note of gridNotes(grid))
      out.push(
        `${note.mark} ${note.where}: ${note.annotation.kind === 'declared-deviation' ? 'declared deviation' : 'documented choice'}: ${oneLine(note.annotation.text)} ([source](${note.annotation.source}))  `,
      );
    out.push('');
  }
  return out;
}

function lossTableSection(results: readonly ReportResult[]): string[] {
  const measured = results.filter((r) => r.counters && !r.qosCell && (r.latency || r.throughput));
  if (measured.length === 0) return [];
  const out = [
    '## Loss, latency and throughput',
    '',
    'attempted = publishes handed to the client; received = distinct messages (per receiver); lost = attempted and never received, whether or not the broker acknowledged it ("never acked": no PUBACK/PUBCOMP from the broker, or never written at QoS 0); loss % = lost / (attempted × receivers). Latency is end to end, in ms, from HDR histograms.',
    '',
    '| scenario | subject | QoS | attempted | received | lost | dup | reordered | corrupted | loss % | msg/s | p50 | p90 | p99 | p99.9 | max | verdict |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of sortResults(measured)) {
    const c = r.counters as NonNullable<ReportResult['counters']>;
    const l = r.latency && r.latency.count > 0 ? r.latency : undefined;
    const spread = r.repeats && r.repeats.length > 1 ? ` (×${r.repeats.length})` : '';
    out.push(
      row([
        `${scenarioLabel(r)}${spread}`,
        subjectLabel(r.subject),
        r.qos ?? '–',
        count(c.attempted),
        count(c.received),
        lostCell(c),
        count(c.duplicates),
        count(c.reordered),
        count(c.corrupted),
        percent(lossRateOf(c)),
        rate(r.throughput?.receivePerSec),
        ms(l?.p50),
        ms(l?.p90),
        ms(l?.p99),
        ms(l?.p99_9),
        ms(l?.max),
        `${VERDICT_ICON[r.verdict]}${r.diagnostics?.harnessSaturated ? ' ⚠️ harness saturated' : ''}`,
      ]),
    );
  }
  out.push('');
  const repeated = measured.filter((r) => r.repeats && r.repeats.length > 1);
  if (repeated.length > 0) {
    out.push('Scenarios that ran more than once (figures above are over all runs; median [min–max] per run):', '');
    for (const r of repeated) {
      const sample = (figure: 'p99Us' | 'receivePerSec'): string => {
        const values = (r.repeats ?? [])
          .map((x) => x[figure])
          .filter((v): v is number => typeof v === 'number')
          .sort((a, b) => a - b);
        if (values.length === 0) return '–';
        const mid = Math.floor(values.length / 2);
        const median =
          values.length % 2 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
        return formatSample(figure, {
          median,
          min: values[0] as number,
          max: values.at(-1) as number,
          n: values.length,
        });
      };
      out.push(
        `- ${scenarioLabel(r)} · ${subjectLabel(r.subject)}: p99 ${sample('p99Us')}; ${sample('receivePerSec')}`,
      );
    }
    out.push('');
  }
  return out;
}

function otherResultsSection(results: readonly ReportResult[]): string[] {
  const other = results.filter((r) => !r.qosCell && !(r.counters && (r.latency || r.throughput)));
  if (other.length === 0) return [];
  const out = [
    '## Other results',
    '',
    '| suite | scenario | subject | verdict | observed |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of sortResults(other)) {
    const observed = Object.entries(r.observations ?? {})
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ');
    out.push(
      row([
        r.suite,
        scenarioLabel(r),
        subjectLabel(r.subject),
        `${VERDICT_ICON[r.verdict]} ${r.verdict}${r.verdictReason ? ` (${r.verdictReason})` : ''}`,
        observed || '–',
      ]),
    );
  }
  out.push('');
  return out;
}

function failuresSection(report: TestbenchReport): string[] {
  if (report.failures.length === 0) return [];
  const out = ['## Failures', ''];
  for (const f of report.failures) {
    out.push(`- **${f.test.fullName}** (${f.test.file}): ${oneLine(f.error).slice(0, 600)}`);
  }
  out.push('');
  return out;
}

function skippedSection(report: TestbenchReport): string[] {
  const withoutReason = report.tests.skipped - report.skipped.length;
  if (report.skipped.length === 0 && withoutReason <= 0) return [];
  const out = ['## Skipped tests', ''];
  // Many tests share a reason (every test of a skipped target): list each reason once with its tests.
  const byReason = new Map<string, string[]>();
  for (const s of report.skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.test.fullName]);
  for (const [reason, names] of byReason) {
    out.push(`- ${oneLine(reason)}: ${names.length === 1 ? names[0] : `${names.length} tests`}`);
  }
  if (withoutReason > 0)
    out.push(`- ${withoutReason} more skipped without a reason (filtered out, or \`.skip\` in the code).`);
  out.push('');
  return out;
}

export function scenarioLabel(r: Pick<ReportResult, 'suite' | 'scenario' | 'protocolVersion' | 'variant'>): string {
  // A variant taken from a test name usually repeats the scenario (`medium QoS 1 EventCall`): show it alone then.
  const parts = r.variant && r.variant.includes(r.scenario) ? [r.variant] : [r.scenario];
  if (r.variant && !r.variant.includes(r.scenario)) parts.push(r.variant);
  if (r.protocolVersion === 5) parts.push('MQTT 5');
  return parts.join(' · ');
}

export function sortResults<T extends Pick<ReportResult, 'suite' | 'scenario' | 'qos' | 'key'>>(
  results: readonly T[],
): T[] {
  return [...results].sort(
    (a, b) =>
      a.suite.localeCompare(b.suite) ||
      a.scenario.localeCompare(b.scenario) ||
      (a.qos ?? -1) - (b.qos ?? -1) ||
      a.key.localeCompare(b.key),
  );
}

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.map((c) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
