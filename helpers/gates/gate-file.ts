import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SuiteName } from '../model/index.js';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';

/**
 * Thresholds per suite and scenario, as data (fixtures/gates/default.json), optionally overridden
 * per run by the file named in MQTT_TESTBENCH_GATES. A limit is a number, or one number per QoS
 * (`{"0": 0.001, "1": 0, "2": 0}`).
 */

/**
 * A limit: one number, or one per QoS (`{"0": 0.001, "1": 0, "2": 0}`), each within `allowed`; null
 * for a QoS says on purpose that it has no such gate (`{"0": null, "1": 0, "2": 0}`).
 */
function limit(value: z.ZodNumber, allowed: string) {
  const perQos = z.strictObject(
    { '0': value.nullable(), '1': value.nullable(), '2': value.nullable() },
    { error: `${allowed}, or one per QoS {"0": …, "1": …, "2": …} (null: no gate at that QoS)` },
  );
  return z.union([value, perQos], {
    error: `${allowed}, or one per QoS {"0": …, "1": …, "2": …} (null: no gate at that QoS)`,
  });
}
const RATIO = 'a ratio from 0 to 1 (0.001 = 0.1 %)';
const ratio = limit(z.number({ error: RATIO }).min(0, { error: RATIO }).max(1, { error: RATIO }), RATIO);
const COUNT = 'a whole number of messages ≥ 0';
const count = limit(z.number({ error: COUNT }).int({ error: COUNT }).min(0, { error: COUNT }), COUNT);
const MS = 'milliseconds ≥ 0';
const milliseconds = limit(z.number({ error: MS }).min(0, { error: MS }), MS);
const PER_SEC = 'messages per second ≥ 0';
const perSecond = limit(z.number({ error: PER_SEC }).min(0, { error: PER_SEC }), PER_SEC);

export const gateLimitsSchema = z.strictObject({
  /** lost / expected. */
  maxLossRate: ratio.optional(),
  /** duplicates / received. */
  maxDuplicateRate: ratio.optional(),
  /** reordered / received. */
  maxReorderedRate: ratio.optional(),
  /** Messages that failed the integrity check. */
  maxCorrupted: count.optional(),
  /** Publishes the broker never acknowledged (no PUBACK/PUBCOMP; QoS 0: never written), or that failed. */
  maxUnconfirmed: count.optional(),
  /** End-to-end p99 latency (from the intended send time when rate limited). */
  maxP99Ms: milliseconds.optional(),
  /** Unique messages received per second over the measured window. */
  minReceivePerSec: perSecond.optional(),
  /** Confirmed publishes per second over the measured window (publish-only runs). */
  minPublishPerSec: perSecond.optional(),
  /** Received rate as a share of the requested rate (rate-limited scenarios). */
  minRateAchieved: ratio.optional(),
  /**
   * When a timing gate fails while the harness itself was saturated (and the system under test did
   * not take the CPU), the verdict is inconclusive. By default that fails the run under
   * MQTT_TESTBENCH_STRICT=1 and in CI; true lets this scenario pass as inconclusive there too.
   */
  allowInconclusive: z.boolean({ error: 'true or false' }).optional(),
});

const suiteGatesSchema = z.strictObject({
  defaults: gateLimitsSchema.default({}),
  scenarios: z.record(z.string(), gateLimitsSchema).default({}),
});

/** Suites whose results carry gates (helpers/model/result.ts SuiteName); a misspelt suite would gate nothing. */
export const GATE_SUITES = [
  'smoke',
  'qos-matrix',
  'retain',
  'clean-session',
  'forwarding-loss',
  'faults',
  'load',
  'security',
  'micro',
] as const satisfies readonly SuiteName[];

const suiteName = z.string().refine((name) => (GATE_SUITES as readonly string[]).includes(name), {
  error: (issue) => `unknown suite ${JSON.stringify(issue.input)}: use one of ${GATE_SUITES.join(', ')}`,
});

export const gateFileSchema = z.record(suiteName, suiteGatesSchema);

export type GateLimits = z.infer<typeof gateLimitsSchema>;
export type GateFile = z.infer<typeof gateFileSchema>;
export type LimitName = Exclude<keyof GateLimits, 'allowInconclusive'>;

export const DEFAULT_GATES_PATH = new URL('../../fixtures/gates/default.json', import.meta.url);

export function readGateFile(path: string | URL, source: string): GateFile {
  if (!existsSync(path)) throw new ConfigError([`${source}: gate file ${String(path)} does not exist.`]);
  const parsed = gateFileSchema.safeParse(parseJsonWithPosition(readFileSync(path, 'utf8'), source), {
    reportInput: true,
  });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${source}: ${issue.path.join('.') || '(root)'}: ${describeIssue(issue)}`),
    );
  }
  return parsed.data;
}

/** The default gates with an override file laid over them, suite by suite and scenario by scenario. */
export function loadGates(overridePath: string | undefined): { gates: GateFile; sources: string[] } {
  const base = readGateFile(DEFAULT_GATES_PATH, 'fixtures/gates/default.json');
  if (!overridePath) return { gates: base, sources: ['fixtures/gates/default.json'] };
  const override = readGateFile(overridePath, `MQTT_TESTBENCH_GATES (${overridePath})`);
  return { gates: layGates(base, override), sources: ['fixtures/gates/default.json', overridePath] };
}

/** `override` laid over `base`, suite by suite and scenario by scenario: a limit it names replaces the base's. */
export function layGates(base: GateFile, override: GateFile): GateFile {
  const merged: GateFile = { ...base };
  for (const [suite, gates] of Object.entries(override)) {
    const current = merged[suite] ?? { defaults: {}, scenarios: {} };
    const scenarios = { ...current.scenarios };
    for (const [name, limits] of Object.entries(gates.scenarios)) scenarios[name] = { ...scenarios[name], ...limits };
    merged[suite] = { defaults: { ...current.defaults, ...gates.defaults }, scenarios };
  }
  return merged;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code !== 'unrecognized_keys')
    return 'input' in issue && issue.input !== undefined
      ? `got ${JSON.stringify(issue.input)}; allowed: ${issue.message}`
      : issue.message;
  // At the suite level the fields are defaults/scenarios; below it, the gate names.
  const allowed = issue.path.length === 1 ? Object.keys(suiteGatesSchema.shape) : Object.keys(gateLimitsSchema.shape);
  return `${issue.message} (allowed: ${allowed.join(', ')})`;
}
