/**
 * Combining several results of one scenario (same key) into one: repeated runs of a scenario, or
 * workers that loaded the same system at the same time on several machines. Counters are summed,
 * histograms merged exactly from their encoded form (percentiles are recomputed, never averaged),
 * gates re-evaluated on the combined figures.
 *
 * - `repeats`: the runs happened one after another. Throughput is the total over the total
 *   measured time, and each run's key figures are kept in `repeats` so comparisons can use
 *   medians and show the spread.
 * - `workers`: the runs happened at the same time against the same system. Rates add up, the
 *   measured window is the longest one, per-second series are added second by second.
 */
import type { GateOutcome, MessageCounters } from '../model/index.js';
import { figureValue, repeatFigures } from './figures.js';
import { mergeLatency } from './histogram.js';
import type { RepeatFigures, ReportResult, TestState } from './report-types.js';
import type { PeriodPoint, QosCell, TestbenchResult, Verdict } from './testbench-result.js';

export type CombineMode = 'repeats' | 'workers';

export interface CombineInput {
  result: ReportResult;
  /** Run the result came from; repeats are labelled with it. */
  runId: string;
}

export function combineResults(inputs: readonly CombineInput[], mode: CombineMode): ReportResult {
  const first = inputs[0];
  if (!first) throw new Error('combineResults needs at least one result');
  if (inputs.length === 1) return first.result;
  const results = inputs.map((i) => i.result);
  const notes: string[] = [];

  const combined: ReportResult = { ...first.result };
  const counters = sumCounters(results.map((r) => r.counters));
  if (counters) combined.counters = counters;
  for (const field of ['latency', 'latencyFromIntended', 'sendDelay'] as const) {
    const { latency, exact } = mergeLatency(
      results.map((r) => r[field]),
      `${first.result.key} ${field}`,
    );
    if (latency) combined[field] = latency;
    else delete combined[field];
    if (!exact)
      notes.push(
        `${field}: some inputs carried no histogram, so its percentiles are those of the largest input, not an exact merge.`,
      );
  }
  const throughput = combineThroughput(results, mode);
  if (throughput) combined.throughput = throughput;
  const periods = mode === 'workers' ? sumPeriods(results.map((r) => r.periods)) : first.result.periods;
  if (periods) combined.periods = periods;
  else delete combined.periods;
  if (mode === 'repeats' && results.some((r) => r.periods && r.periods.length > 0) && results.length > 1) {
    notes.push(`Per-second series shown for the first of ${results.length} runs.`);
  }
  const cell = combineQosCells(results.map((r) => r.qosCell));
  if (cell) combined.qosCell = cell;
  const expectations = union(results.flatMap((r) => r.expectations ?? []));
  if (expectations.length > 0) combined.expectations = expectations;
  const diagnostics = combineDiagnostics(results);
  if (diagnostics) combined.diagnostics = diagnostics;
  const gates = recomputeGates(
    combined,
    results.map((r) => r.gates ?? []),
  );
  if (gates.length > 0) combined.gates = gates;

  combined.test = {
    ...first.result.test,
    state: combineStates(results.map((r) => r.test.state)),
    durationMs:
      mode === 'repeats'
        ? results.reduce((sum, r) => sum + r.test.durationMs, 0)
        : Math.max(...results.map((r) => r.test.durationMs)),
  };
  const errors = union(results.map((r) => r.test.error).filter((e): e is string => typeof e === 'string'));
  if (errors.length > 0) combined.test.error = errors.join('\n');
  else delete combined.test.error;

  if (mode === 'repeats') {
    combined.repeats = inputs.flatMap(
      (input, index) =>
        input.result.repeats ?? [
          repeatFigures(
            input.result,
            inputs.filter((i) => i.runId === input.runId).length > 1 ? `${input.runId}#${index + 1}` : input.runId,
          ),
        ],
    );
  } else {
    delete combined.repeats;
    notes.push(`Combined from ${results.length} workers that ran at the same time.`);
  }
  combined.notes = union([...results.flatMap((r) => r.notes ?? []), ...notes]);
  if (combined.notes.length === 0) delete combined.notes;

  const { verdict, reason } = verdictOf(
    combined.test.state,
    combined.gates,
    results.map((r) => r.verdict),
  );
  combined.verdict = verdict;
  if (reason) combined.verdictReason = reason;
  else delete combined.verdictReason;
  return combined;
}

/** fail: the test failed or a gate failed (or any combined input failed); skip: skipped; else pass. */
export function verdictOf(
  state: TestState,
  gates: readonly GateOutcome[] | undefined,
  inputVerdicts: readonly Verdict[] = [],
): { verdict: Verdict; reason?: string } {
  const broken = (gates ?? []).filter((g) => !g.passed && !g.inconclusive);
  const undecided = (gates ?? []).filter((g) => !g.passed && g.inconclusive);
  if (broken.length > 0) return { verdict: 'fail', reason: `gate ${broken.map((g) => g.name).join(', ')} broken` };
  if (undecided.length > 0)
    return {
      verdict: 'inconclusive',
      reason: `gate ${undecided.map((g) => g.name).join(', ')} broken while the harness was saturated: ${undecided[0]?.inconclusive ?? ''}`,
    };
  if (state === 'failed') return { verdict: 'fail', reason: 'the test failed' };
  if (inputVerdicts.includes('fail')) return { verdict: 'fail', reason: 'one of the combined runs failed' };
  if (inputVerdicts.includes('inconclusive'))
    return { verdict: 'inconclusive', reason: 'one of the combined runs was inconclusive' };
  if (state === 'skipped' || state === 'pending') return { verdict: 'skip' };
  return { verdict: 'pass' };
}

function combineStates(states: readonly TestState[]): TestState {
  if (states.includes('failed')) return 'failed';
  if (states.includes('passed')) return 'passed';
  if (states.includes('pending')) return 'pending';
  return 'skipped';
}

const COUNTER_FIELDS = [
  'attempted',
  'sent',
  'unconfirmed',
  'expected',
  'received',
  'duplicates',
  'reordered',
  'lost',
  'lostAcknowledged',
  'lostUnacknowledged',
  'lostFailed',
  'corrupted',
  'unconfirmedReceived',
] as const satisfies readonly (keyof MessageCounters)[];

function sumCounters(items: readonly (MessageCounters | undefined)[]): MessageCounters | undefined {
  const present = items.filter((c): c is MessageCounters => c !== undefined);
  if (present.length === 0) return undefined;
  const total = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0])) as unknown as MessageCounters;
  for (const c of present) for (const f of COUNTER_FIELDS) total[f] += c[f] ?? 0;
  return total;
}

function combineThroughput(results: readonly TestbenchResult[], mode: CombineMode): TestbenchResult['throughput'] {
  const present = results
    .map((r) => r.throughput)
    .filter((t): t is NonNullable<TestbenchResult['throughput']> => t !== undefined);
  if (present.length === 0) return undefined;
  if (mode === 'workers') {
    return {
      publishPerSec: round1(present.reduce((s, t) => s + t.publishPerSec, 0)),
      receivePerSec: round1(present.reduce((s, t) => s + t.receivePerSec, 0)),
      durationMs: Math.max(...present.map((t) => t.durationMs)),
    };
  }
  const totalMs = present.reduce((s, t) => s + t.durationMs, 0);
  if (totalMs <= 0) {
    return {
      publishPerSec: round1(mean(present.map((t) => t.publishPerSec))),
      receivePerSec: round1(mean(present.map((t) => t.receivePerSec))),
      durationMs: 0,
    };
  }
  // Messages over time: each run's rate weighted by how long it measured.
  return {
    publishPerSec: round1(present.reduce((s, t) => s + t.publishPerSec * t.durationMs, 0) / totalMs),
    receivePerSec: round1(present.reduce((s, t) => s + t.receivePerSec * t.durationMs, 0) / totalMs),
    durationMs: totalMs,
  };
}

/** Workers' per-second series added second by second; per-period percentiles cannot be added, so they are dropped. */
function sumPeriods(items: readonly (PeriodPoint[] | undefined)[]): PeriodPoint[] | undefined {
  const present = items.filter((p): p is PeriodPoint[] => p !== undefined && p.length > 0);
  if (present.length === 0) return undefined;
  const byT = new Map<number, PeriodPoint>();
  for (const series of present) {
    for (const point of series) {
      const t = Math.round(point.t * 1000) / 1000;
      const sum = byT.get(t) ?? { t, publishPerSec: 0, receivePerSec: 0, backlog: 0 };
      sum.publishPerSec = round1(sum.publishPerSec + point.publishPerSec);
      sum.receivePerSec = round1(sum.receivePerSec + point.receivePerSec);
      sum.backlog += point.backlog;
      byT.set(t, sum);
    }
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

function combineQosCells(items: readonly (QosCell | undefined)[]): QosCell | undefined {
  const present = items.filter((c): c is QosCell => c !== undefined);
  const first = present[0];
  if (!first) return undefined;
  return {
    ...first,
    observedQos: [...new Set(present.flatMap((c) => c.observedQos))].sort((a, b) => a - b),
    counters: sumCounters(present.map((c) => c.counters)) ?? first.counters,
  };
}

function combineDiagnostics(results: readonly TestbenchResult[]): TestbenchResult['diagnostics'] {
  const present = results
    .map((r) => r.diagnostics)
    .filter((d): d is NonNullable<TestbenchResult['diagnostics']> => d !== undefined);
  if (present.length === 0) return undefined;
  const lagP99 = present.map((d) => d.eventLoopLagP99Ms).filter((v): v is number => v !== undefined);
  const lagMax = present.map((d) => d.eventLoopLagMaxMs).filter((v): v is number => v !== undefined);
  return {
    harnessSaturated: present.some((d) => d.harnessSaturated),
    reasons: union(present.flatMap((d) => d.reasons)),
    ...(lagP99.length > 0 ? { eventLoopLagP99Ms: Math.max(...lagP99) } : {}),
    ...(lagMax.length > 0 ? { eventLoopLagMaxMs: Math.max(...lagMax) } : {}),
  };
}

/**
 * Re-evaluates every gate (by name) against the combined result. A gate whose figure cannot be
 * recomputed here keeps the worst measured value of the inputs and passes only if all inputs passed.
 */
function recomputeGates(combined: TestbenchResult, gateLists: readonly (readonly GateOutcome[])[]): GateOutcome[] {
  const byName = new Map<string, GateOutcome[]>();
  for (const list of gateLists)
    for (const gate of list) byName.set(gate.name, [...(byName.get(gate.name) ?? []), gate]);
  const outcomes: GateOutcome[] = [];
  for (const [, gates] of byName) {
    const gate = gates[0] as GateOutcome;
    const limit =
      gate.comparison === '<=' ? Math.min(...gates.map((g) => g.limit)) : Math.max(...gates.map((g) => g.limit));
    const measured = figureValue(combined, gate.figure);
    if (measured !== undefined) {
      outcomes.push({
        ...gate,
        limit,
        measured,
        passed: gate.comparison === '<=' ? measured <= limit : measured >= limit,
      });
    } else {
      const worst =
        gate.comparison === '<='
          ? Math.max(...gates.map((g) => g.measured))
          : Math.min(...gates.map((g) => g.measured));
      outcomes.push({
        ...gate,
        limit,
        measured: worst,
        passed: gates.every((g) => g.passed),
        source: `${gate.source} (worst of ${gates.length} runs)`,
      });
    }
  }
  return outcomes;
}

/** Groups items by key keeping first-seen order. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function union(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export type { RepeatFigures };
