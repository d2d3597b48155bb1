import type { GateOutcome } from '../model/index.js';
import type { GateFile, GateLimits, LimitName } from './gate-file.js';

/** The figures a gate can be checked against; absent figures skip their gates. */
export interface GateFigures {
  lossRate?: number;
  duplicateRate?: number;
  reorderedRate?: number;
  corrupted?: number;
  /** Publishes never acknowledged by the broker, or failed. */
  unconfirmed?: number;
  p99Ms?: number;
  receivePerSec?: number;
  /** Confirmed publishes per second (publish-only runs). */
  publishPerSec?: number;
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
  maxUnconfirmed: {
    name: 'max publishes never acknowledged',
    figure: 'unconfirmed',
    comparison: '<=',
    unit: 'messages',
  },
  maxP99Ms: { name: 'max p99 latency', figure: 'p99Ms', comparison: '<=', unit: 'ms' },
  minReceivePerSec: { name: 'min throughput', figure: 'receivePerSec', comparison: '>=', unit: 'msg/s' },
  minPublishPerSec: { name: 'min publish rate', figure: 'publishPerSec', comparison: '>=', unit: 'msg/s' },
  minRateAchieved: { name: 'min share of the requested rate', figure: 'rateAchieved', comparison: '>=', unit: 'ratio' },
};

/** Limits that judge timing (latency, rates): a saturated harness can make them fail, never pass. */
export const TIMING_LIMITS: readonly LimitName[] = [
  'maxP99Ms',
  'minReceivePerSec',
  'minPublishPerSec',
  'minRateAchieved',
];
const TIMING_FIGURES = new Set<string>(TIMING_LIMITS.map((name) => GATES[name].figure));

/** Whether a gate outcome judges timing (see TIMING_LIMITS). */
export function isTimingGate(outcome: Pick<GateOutcome, 'figure'>): boolean {
  return TIMING_FIGURES.has(outcome.figure);
}

export interface ResolvedLimits {
  limits: Partial<Record<LimitName, { value: number; source: string }>>;
  /** The gate file lets this scenario's timing verdict be inconclusive without failing (and where it says so). */
  allowInconclusive: { value: boolean; source: string };
}

/** Limits for one suite/scenario/QoS: scenario values override the suite's defaults. */
export function resolveLimits(gates: GateFile, suite: string, scenario: string, qos: 0 | 1 | 2): ResolvedLimits {
  const suiteGates = gates[suite];
  const resolved: ResolvedLimits = { limits: {}, allowInconclusive: { value: false, source: 'default' } };
  if (!suiteGates) return resolved;
  const layers: [GateLimits, string][] = [[suiteGates.defaults, `${suite}.defaults`]];
  const scenarioGates = suiteGates.scenarios[scenario];
  if (scenarioGates) layers.push([scenarioGates, `${suite}.scenarios.${scenario}`]);
  for (const [layer, source] of layers) {
    const { allowInconclusive, ...limits } = layer;
    if (allowInconclusive !== undefined) resolved.allowInconclusive = { value: allowInconclusive, source };
    for (const [name, raw] of Object.entries(limits) as [LimitName, GateLimits[LimitName]][]) {
      const value = typeof raw === 'number' ? raw : raw?.[String(qos) as '0' | '1' | '2'];
      if (value !== undefined && value !== null) resolved.limits[name] = { value, source };
    }
  }
  return resolved;
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
  for (const [name, limit] of Object.entries(limits)) {
    if (!limit) continue;
    const { value, source } = limit;
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
