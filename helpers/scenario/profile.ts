import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Profile } from '../model/index.js';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';
import { parseWorkload, type Workload, type WorkloadInput } from '../load/workload.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

const qosList = z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).min(1);
const entrySchema = z.strictObject({
  /** Scenario name used in results, gates and baselines. */
  scenario: z.string().regex(/^[a-z0-9-]+$/, { error: 'lower-case letters, digits and "-"' }),
  /** File name in fixtures/workloads without `.json`. */
  workload: z.string(),
  qos: qosList,
  routes: z
    .array(z.enum(['pass', 'event']))
    .min(1)
    .default(['pass']),
  /** Workload fields replaced for this profile (e.g. a shorter duration in CI). */
  override: z.record(z.string(), z.unknown()).default({}),
  /** Rate steps of a max-sustainable-rate search. */
  rates: z.array(z.number().positive()).optional(),
  /** Max-rate search: extra steps halving the gap between the last rate that held and the first that did not. */
  bisect: z.number().int().min(0).max(10).optional(),
  /** Max-rate search: repeats of a failed step before it is believed. */
  retries: z.number().int().min(0).max(3).optional(),
  /** Max-rate search: when a step holds (defaults in helpers/scenario/max-rate.ts; a gate file's "load" section overrides). */
  criteria: z
    .strictObject({
      minRateShare: z.number().gt(0).max(1).optional(),
      maxLossRate: z
        .union([z.number().min(0).max(1), z.strictObject({ '0': z.number(), '1': z.number(), '2': z.number() })])
        .optional(),
      maxP99Ms: z.number().positive().optional(),
    })
    .optional(),
  /** Distinguishes results of the same scenario and QoS (e.g. `workers-2`); part of the result key. */
  variant: z
    .string()
    .regex(/^[a-z0-9-]+$/, { error: 'lower-case letters, digits and "-"' })
    .optional(),
});

const idleSchema = z.strictObject({
  scenario: z.string().regex(/^[a-z0-9-]+$/, { error: 'lower-case letters, digits and "-"' }),
  /** Idle clients to connect for the memory-per-connection figure. */
  connections: z.number().int().min(1).max(100_000),
});

const microSchema = z.strictObject({
  /** tinybench time budget per engine task (encode, decode, histogram record ...), ms. */
  engineTimeMs: z.number().int().min(10).max(60_000),
  /** Time budget per publish-to-receive round trip task, ms; null = no round trips in this profile. */
  roundTripTimeMs: z.number().int().min(10).max(600_000).nullable(),
});

const profileSchema = z.looseObject({
  /**
   * Forwarding topologies the heavy suites run on: the measuring ones (forwarding-loss, faults) and
   * the one that starts a topology of its own per block (clean-session-forwarder). `all`, or `own`,
   * where each target forwards to itself (the mixed pairings then run the other suites only).
   */
  heavyTopologies: z.enum(['all', 'own']).default('all'),
  'forwarding-loss': z.array(entrySchema).default([]),
  direct: z.array(entrySchema).default([]),
  'max-rate': z.array(entrySchema).default([]),
  throughput: z.array(entrySchema).default([]),
  'mqtt-bench': z.array(entrySchema).default([]),
  'idle-connections': z.array(idleSchema).default([]),
  micro: microSchema.nullable().default(null),
});

export type ProfileSection = 'forwarding-loss' | 'direct' | 'max-rate' | 'throughput' | 'mqtt-bench';
export type ProfileEntry = z.output<typeof entrySchema>;
export type IdleConnectionsEntry = z.output<typeof idleSchema>;
export type MicroSettings = z.output<typeof microSchema>;

/** One concrete run of a scenario: a validated workload at one QoS through one route. */
export interface ScenarioCase {
  scenario: string;
  qos: 0 | 1 | 2;
  route: 'pass' | 'event';
  workload: Workload;
  rates?: number[];
  bisect?: number;
  retries?: number;
  criteria?: ProfileEntry['criteria'];
  variant?: string;
}

/** The scenario cases of one section of a profile (fixtures/profiles/<profile>.json), expanded per QoS and route. */
export function profileCases(profile: Profile, section: ProfileSection): ScenarioCase[] {
  const source = `fixtures/profiles/${profile}.json`;
  const data = readProfile(profile);
  const cases: ScenarioCase[] = [];
  for (const entry of data[section]) {
    const base = readWorkload(entry.workload);
    for (const qos of entry.qos) {
      for (const route of entry.routes) {
        const input = { ...base, ...entry.override, name: `${entry.scenario}-qos${qos}-${route}`, qos };
        try {
          cases.push({
            scenario: entry.scenario,
            qos,
            route,
            workload: parseWorkload(input),
            ...(entry.rates ? { rates: entry.rates } : {}),
            ...(entry.bisect !== undefined ? { bisect: entry.bisect } : {}),
            ...(entry.retries !== undefined ? { retries: entry.retries } : {}),
            ...(entry.criteria ? { criteria: entry.criteria } : {}),
            ...(entry.variant ? { variant: entry.variant } : {}),
          });
        } catch (error) {
          throw new ConfigError([
            `${source}: scenario "${entry.scenario}" (workload ${entry.workload}, QoS ${qos}): ${(error as Error).message}`,
          ]);
        }
      }
    }
  }
  return cases;
}

/**
 * Why a heavy suite leaves a topology out in this profile (`heavyTopologies: own` and a mixed
 * pairing), or undefined when it runs there.
 */
export function heavyTopologyLeaveOut(
  profile: Profile,
  topology: { downstream: string; upstream: string },
): string | undefined {
  if (readProfile(profile).heavyTopologies === 'all' || topology.downstream === topology.upstream) return undefined;
  return `${profile} profile: this suite runs where a target forwards to itself; mixed pairings run the suites on shared topologies here, and every suite in the full profile (npm run bench)`;
}

/** Idle-connection memory measurements of a profile. */
export function profileIdleConnections(profile: Profile): IdleConnectionsEntry[] {
  return readProfile(profile)['idle-connections'];
}

/** Micro-benchmark budgets of a profile; null when the profile runs none. */
export function profileMicro(profile: Profile): MicroSettings | null {
  return readProfile(profile).micro;
}

function readProfile(profile: Profile): z.output<typeof profileSchema> {
  const source = `fixtures/profiles/${profile}.json`;
  const parsed = profileSchema.safeParse(
    parseJsonWithPosition(readFileSync(new URL(`profiles/${profile}.json`, FIXTURES), 'utf8'), source),
  );
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

function readWorkload(name: string): WorkloadInput {
  const path = new URL(`workloads/${name}.json`, FIXTURES);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([`workload "${name}" not found: expected fixtures/workloads/${name}.json.`]);
  }
  return parseJsonWithPosition(text, `fixtures/workloads/${name}.json`) as WorkloadInput;
}
