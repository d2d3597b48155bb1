import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';

/**
 * Thresholds per suite and scenario, as data (fixtures/gates/default.json), optionally overridden
 * per run by the file named in MQTT_TESTBENCH_GATES. A limit is a number, or one number per QoS
 * (`{"0": 0.001, "1": 0, "2": 0}`).
 */

const perQos = z.strictObject({ '0': z.number().min(0), '1': z.number().min(0), '2': z.number().min(0) });
const limit = z.union([z.number().min(0), perQos]);

export const gateLimitsSchema = z.strictObject({
  /** lost / expected. */
  maxLossRate: limit.optional(),
  /** duplicates / received. */
  maxDuplicateRate: limit.optional(),
  /** reordered / received. */
  maxReorderedRate: limit.optional(),
  /** Messages that failed the integrity check. */
  maxCorrupted: limit.optional(),
  /** End-to-end p99 latency (from the intended send time when rate limited). */
  maxP99Ms: limit.optional(),
  /** Unique messages received per second over the measured window. */
  minReceivePerSec: limit.optional(),
  /** Received rate as a share of the requested rate (rate-limited scenarios). */
  minRateAchieved: limit.optional(),
});

const suiteGatesSchema = z.strictObject({
  defaults: gateLimitsSchema,
  scenarios: z.record(z.string(), gateLimitsSchema).default({}),
});

export const gateFileSchema = z.record(z.string(), suiteGatesSchema);

export type GateLimits = z.infer<typeof gateLimitsSchema>;
export type GateFile = z.infer<typeof gateFileSchema>;
export type LimitName = keyof GateLimits;

export const DEFAULT_GATES_PATH = new URL('../../fixtures/gates/default.json', import.meta.url);

export function readGateFile(path: string | URL, source: string): GateFile {
  if (!existsSync(path)) throw new ConfigError([`${source}: gate file ${String(path)} does not exist.`]);
  const parsed = gateFileSchema.safeParse(parseJsonWithPosition(readFileSync(path, 'utf8'), source));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}${issue.code === 'unrecognized_keys' ? ` (allowed: ${Object.keys(gateLimitsSchema.shape).join(', ')})` : ''}`));
  }
  return parsed.data;
}

/** The default gates with an override file laid over them, suite by suite and scenario by scenario. */
export function loadGates(overridePath: string | undefined): { gates: GateFile; sources: string[] } {
  const base = readGateFile(DEFAULT_GATES_PATH, 'fixtures/gates/default.json');
  if (!overridePath) return { gates: base, sources: ['fixtures/gates/default.json'] };
  const override = readGateFile(overridePath, `MQTT_TESTBENCH_GATES (${overridePath})`);
  const merged: GateFile = { ...base };
  for (const [suite, gates] of Object.entries(override)) {
    const current = merged[suite] ?? { defaults: {}, scenarios: {} };
    const scenarios = { ...current.scenarios };
    for (const [name, limits] of Object.entries(gates.scenarios)) scenarios[name] = { ...scenarios[name], ...limits };
    merged[suite] = { defaults: { ...current.defaults, ...gates.defaults }, scenarios };
  }
  return { gates: merged, sources: ['fixtures/gates/default.json', overridePath] };
}
