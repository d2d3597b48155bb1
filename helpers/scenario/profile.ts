import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';
import type { Profile } from '../config/settings.js';
import { parseWorkload, type Workload, type WorkloadInput } from '../load/workload.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

const qosList = z.array(z.union([z.literal(0), z.literal(1), z.literal(2)])).min(1);
const entrySchema = z.strictObject({
  /** Scenario name used in results, gates and baselines. */
  scenario: z.string().regex(/^[a-z0-9-]+$/, { error: 'lower-case letters, digits and "-"' }),
  /** File name in fixtures/workloads without `.json`. */
  workload: z.string(),
  qos: qosList,
  routes: z.array(z.enum(['pass', 'event'])).min(1).default(['pass']),
  /** Workload fields replaced for this profile (e.g. a shorter duration in CI). */
  override: z.record(z.string(), z.unknown()).default({}),
  /** Rate steps of a max-sustainable-rate search. */
  rates: z.array(z.number().positive()).optional(),
});

const profileSchema = z.looseObject({
  'forwarding-loss': z.array(entrySchema).default([]),
  direct: z.array(entrySchema).default([]),
  'max-rate': z.array(entrySchema).default([]),
});

export type ProfileSection = 'forwarding-loss' | 'direct' | 'max-rate';

/** One concrete run of a scenario: a validated workload at one QoS through one route. */
export interface ScenarioCase {
  scenario: string;
  qos: 0 | 1 | 2;
  route: 'pass' | 'event';
  workload: Workload;
  rates?: number[];
}

/** The scenario cases of one section of a profile (fixtures/profiles/<profile>.json), expanded per QoS and route. */
export function profileCases(profile: Profile, section: ProfileSection): ScenarioCase[] {
  const source = `fixtures/profiles/${profile}.json`;
  const parsed = profileSchema.safeParse(parseJsonWithPosition(readFileSync(new URL(`profiles/${profile}.json`, FIXTURES), 'utf8'), source));
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.')}: ${i.message}`));
  const cases: ScenarioCase[] = [];
  for (const entry of parsed.data[section]) {
    const base = readWorkload(entry.workload);
    for (const qos of entry.qos) {
      for (const route of entry.routes) {
        const input = { ...base, ...entry.override, name: `${entry.scenario}-qos${qos}-${route}`, qos };
        try {
          cases.push({ scenario: entry.scenario, qos, route, workload: parseWorkload(input), rates: entry.rates });
        } catch (error) {
          throw new ConfigError([`${source}: scenario "${entry.scenario}" (workload ${entry.workload}, QoS ${qos}): ${(error as Error).message}`]);
        }
      }
    }
  }
  return cases;
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
