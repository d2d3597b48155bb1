import type { GateOutcome } from '../report/result.js';
import type { GateFile, GateLimits, LimitName } from './gate-file.js';

/** The figures a gate can be checked against; absent figures skip their gates. */
export interface GateFigures {
  lossRate?: number;
  duplicateRate?: number;
  reorderedRate?: number;
  corrupted?: number;
  p99Ms?: number;
  receivePerSec?: number;
  rateAchieved?: number;
}

interface GateDefinition {
  name: string;
  figure: keyof GateFigures;
  comparison: '<=' | '>=';
  unit: string;
}

const GATES: Record<LimitName, GateDefinition> = {
  maxLossRate: { name: 'max loss rate', figure: 'lossRate', comparison: '<=', unit: 'ratio' },
  maxDuplicateRate: { name: 'max duplicate rate', figure: 'duplicateRate', comparison: '<=', unit: 'ratio' },
  maxReorderedRate: { name: 'max reordered rate', figure: 'reorderedRate', comparison: '<=', unit: 'ratio' },
  maxCorrupted: { name: 'max corrupted messages', figure: 'corrupted', comparison: '<=', unit: 'messages' },
  maxP99Ms: { name: 'max p99 latency', figure: 'p99Ms', comparison: '<=', unit: 'ms' },
  minReceivePerSec: { name: 'min throughput', figure: 'receivePerSec', comparison: '>=', unit: 'msg/s' },
  minRateAchieved: { name: 'min share of the requested rate', figure: 'rateAchieved', comparison: '>=', unit: 'ratio' },
};

/** Limits for one suite/scenario/QoS: scenario values override the suite's defaults. */
export function resolveLimits(
  gates: GateFile,
  suite: string,
  scenario: string,
  qos: 0 | 1 | 2,
): { limits: Record<string, { value: number; source: string }> } {
  const suiteGates = gates[suite];
  const limits: Record<string, { value: number; source: string }> = {};
  if (!suiteGates) return { limits };
  const layers: [GateLimits, string][] = [[suiteGates.defaults, `${suite}.defaults`]];
  const scenarioGates = suiteGates.scenarios[scenario];
  if (scenarioGates) layers.push([scenarioGates, `${suite}.scenarios.${scenario}`]);
  for (const [layer, source] of layers) {
    for (const [name, raw] of Object.entries(layer) as [LimitName, GateLimits[LimitName]][]) {
      if (raw === undefined) continue;
      limits[name] = { value: typeof raw === 'number' ? raw : raw[String(qos) as '0' | '1' | '2'], source };
    }
  }
  return { limits };
}

export function evaluateGates(
  gates: GateFile,
  suite: string,
  scenario: string,
  qos: 0 | 1 | 2,
  figures: GateFigures,
): GateOutcome[] {
  const { limits } = resolveLimits(gates, suite, scenario, qos);
  const outcomes: GateOutcome[] = [];
  for (const [name, { value, source }] of Object.entries(limits)) {
    const gate = GATES[name as LimitName];
    const measured = figures[gate.figure];
    if (measured === undefined) continue;
    const passed = gate.comparison === '<=' ? measured <= value : measured >= value;
    outcomes.push({
      name: gate.name,
      figure: gate.figure,
      comparison: gate.comparison,
      limit: value,
      measured,
      unit: gate.unit,
      passed,
      source,
    });
  }
  return outcomes;
}

/** One line per broken gate: scenario, figure, limit and measured value. */
export function describeBrokenGates(label: string, outcomes: readonly GateOutcome[]): string {
  return outcomes
    .filter((o) => !o.passed)
    .map(
      (o) =>
        `${label}: ${o.name} broken: ${o.figure} = ${formatValue(o.measured, o.unit)}, limit ${o.comparison} ${formatValue(o.limit, o.unit)} (${o.source})`,
    )
    .join('\n');
}

function formatValue(value: number, unit: string): string {
  if (unit === 'ratio') return `${(value * 100).toPrecision(3)} %`;
  if (unit === 'ms') return `${value.toFixed(2)} ms`;
  if (unit === 'msg/s') return `${value.toFixed(0)} msg/s`;
  return `${value} ${unit}`;
}
