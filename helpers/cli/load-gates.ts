/**
 * `load` as a gate: the limits a run is judged against, and its verdict. The limits are, from the
 * bottom up: the `load` suite's defaults in fixtures/gates/default.json (delivery: loss, duplicates
 * where the QoS forbids them, reordering, corruption, publishes never acknowledged); `--gates FILE`
 * laid over them (the suites' format: section `load`, its defaults, then the scenario named after
 * the workload's `name`); the command-line limits over both. The default file's scenario floors
 * are the suites' own, measured on their local Mosquitto, and are not applied to a broker named
 * here. Evaluated with the suites' gate evaluator and timing verdict.
 */
import { join, resolve } from 'node:path';
import type { CpuShares } from '../stats/cpu-shares.js';
import type { GateOutcome } from '../model/index.js';
import { describeBrokenGates, evaluateGates, isTimingGate, resolveLimits } from '../gates/evaluate.js';
import {
  gateLimitsSchema,
  layGates,
  readGateFile,
  type GateFile,
  type GateLimits,
  type LimitName,
} from '../gates/gate-file.js';
import { judgeTiming } from '../gates/timing-verdict.js';
import type { LoadResult } from '../load/types.js';
import { gateFigures } from '../scenario/to-result.js';
import { UsageError } from './args.js';
import { packageRoot } from './vitest-child.js';

export const LOAD_GATE_SUITE = 'load';
/** Read from the package folder: the bundled CLI in dist/ finds it there too. */
const DEFAULT_GATES_FILE = 'fixtures/gates/default.json';

/** Exit codes of a gated `load` run beside 0 (pass), 1 (could not run) and 2 (bad input). */
export const EXIT_THRESHOLD_BROKEN = 3;
export const EXIT_INCONCLUSIVE = 4;

/** The command-line limits, as typed. */
export interface LimitOptions {
  'max-loss'?: string | undefined;
  'max-p99-ms'?: string | undefined;
  'min-rate'?: string | undefined;
  gates?: string | undefined;
}

export interface LoadGates {
  /** The default file's `load` defaults with the --gates file laid over them. */
  file: GateFile;
  /** Limits from --max-loss, --max-p99-ms, --min-rate: they replace the file's for the same figure. */
  commandLine: GateLimits;
  /** The scenario of the gate file this run is judged as: the workload's name. */
  scenario: string;
  /** Where the limits come from, for the summary. */
  sources: string[];
}

export type LoadVerdict =
  | { kind: 'not gated' }
  | { kind: 'pass'; gates: GateOutcome[]; note?: string }
  /** A threshold was broken, and the machine's CPU does not excuse it. */
  | { kind: 'fail'; gates: GateOutcome[]; broken: string; evidence?: string }
  /** Only timing thresholds were broken, while the harness or other processes may have caused it. */
  | { kind: 'inconclusive'; gates: GateOutcome[]; reason: string };

/** Which option sets which limit, and under which name its outcome is shown. */
const OPTION_LIMITS = {
  'max-loss': 'maxLossRate',
  'max-p99-ms': 'maxP99Ms',
  'min-rate': 'minReceivePerSec',
} as const satisfies Record<string, LimitName>;

/** The limits of this run, or null when no gate option was given (the run is not judged). */
export function loadGatesFor(
  options: LimitOptions,
  workload: { name: string; subscribers: number },
  cwd: string,
): LoadGates | null {
  const given = (Object.keys(OPTION_LIMITS) as (keyof typeof OPTION_LIMITS)[]).filter((o) => options[o] !== undefined);
  if (given.length === 0 && options.gates === undefined) return null;
  const commandLine: GateLimits = {};
  for (const option of given) {
    const text = options[option] as string;
    if (workload.subscribers === 0 && option !== 'min-rate')
      throw new UsageError(
        `--${option} with --subscribers 0: nothing subscribes, so ${option === 'max-loss' ? 'loss' : 'end-to-end latency'} is not measured; add subscribers or drop --${option}.`,
      );
    // A rate floor of a publish-only run is on the confirmed publish rate.
    const name = option === 'min-rate' && workload.subscribers === 0 ? 'minPublishPerSec' : OPTION_LIMITS[option];
    const value = Number(text);
    const parsed = gateLimitsSchema.safeParse({ [name]: text.trim() === '' ? Number.NaN : value });
    if (!parsed.success) throw new UsageError(`--${option} ${text}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
    if ((option === 'max-loss' && value >= 1) || (option === 'min-rate' && value <= 0))
      throw new UsageError(
        `--${option} ${text} can never be broken: give ${option === 'max-loss' ? 'a ratio below 1, e.g. 0.001 (0.1 %)' : 'a rate above 0'}.`,
      );
    Object.assign(commandLine, parsed.data);
  }
  const defaults =
    readGateFile(join(packageRoot(), DEFAULT_GATES_FILE), DEFAULT_GATES_FILE)[LOAD_GATE_SUITE]?.defaults ?? {};
  let file: GateFile = { [LOAD_GATE_SUITE]: { defaults, scenarios: {} } };
  const sources = [`${DEFAULT_GATES_FILE} (${LOAD_GATE_SUITE}.defaults)`];
  if (options.gates !== undefined) {
    file = layGates(file, readGateFile(resolve(cwd, options.gates), `--gates ${options.gates}`));
    sources.push(
      `--gates ${options.gates} (${LOAD_GATE_SUITE}.defaults, ${LOAD_GATE_SUITE}.scenarios.${workload.name})`,
    );
  }
  if (given.length > 0) sources.push(given.map((o) => `--${o}`).join(', '));
  return { file, commandLine, scenario: workload.name, sources };
}

/** Judges a run against its limits: delivery gates decide alone; failed timing gates go through the CPU verdict. */
export function judgeLoad(result: LoadResult, gates: LoadGates, cpu: CpuShares | null): LoadVerdict {
  const qos = result.workload.qos;
  const figures = gateFigures(result);
  if (result.counters.receiverGroups === 0) {
    // Publish only: nothing was received, so no duplicate, reordering or corruption was measured.
    delete figures.duplicateRate;
    delete figures.reorderedRate;
    delete figures.corrupted;
  }
  const fromCommandLine = evaluateGates(
    { [LOAD_GATE_SUITE]: { defaults: gates.commandLine, scenarios: {} } },
    LOAD_GATE_SUITE,
    gates.scenario,
    qos,
    figures,
  ).map((outcome) => ({ ...outcome, source: optionOf(outcome.figure) }));
  const overridden = new Set(fromCommandLine.map((o) => o.figure));
  const outcomes = [
    ...evaluateGates(gates.file, LOAD_GATE_SUITE, gates.scenario, qos, figures).filter(
      (o) => !overridden.has(o.figure),
    ),
    ...fromCommandLine,
  ];
  const timing = judgeTiming(
    outcomes.filter((o) => !o.passed && isTimingGate(o)).length,
    { saturated: result.diagnostics.harnessSaturated, reasons: result.diagnostics.saturationReasons },
    cpu,
  );
  if (timing.kind === 'inconclusive')
    for (const outcome of outcomes) if (!outcome.passed && isTimingGate(outcome)) outcome.inconclusive = timing.reason;
  const label = `load ${result.workload.name} QoS ${qos}`;
  const conclusive = outcomes.filter((o) => !o.passed && o.inconclusive === undefined);
  if (conclusive.length > 0) {
    return {
      kind: 'fail',
      gates: outcomes,
      broken: describeBrokenGates(label, conclusive),
      ...(timing.kind === 'system-under-test' ? { evidence: timing.evidence } : {}),
    };
  }
  if (timing.kind === 'inconclusive') {
    const allowed = resolveLimits(gates.file, LOAD_GATE_SUITE, gates.scenario, qos).allowInconclusive;
    if (allowed.value)
      return {
        kind: 'pass',
        gates: outcomes,
        note: `inconclusive, allowed by allowInconclusive in ${allowed.source}: ${timing.reason}`,
      };
    return { kind: 'inconclusive', gates: outcomes, reason: timing.reason };
  }
  return { kind: 'pass', gates: outcomes };
}

export function exitCodeOf(verdict: LoadVerdict): number {
  if (verdict.kind === 'fail') return EXIT_THRESHOLD_BROKEN;
  if (verdict.kind === 'inconclusive') return EXIT_INCONCLUSIVE;
  return 0;
}

function optionOf(figure: string): string {
  if (figure === 'lossRate') return '--max-loss';
  if (figure === 'p99Ms') return '--max-p99-ms';
  return '--min-rate';
}
