/**
 * The default gate file holds no gate that cannot fail: every limit is one a real regression can
 * cross, every suite that measures a message flow gates its delivery, and every rate-limited
 * scenario must reach most of its requested rate. Walks fixtures/gates/default.json against the
 * scenarios the ci and full profiles run.
 */
import { describe, expect, test } from 'vitest';
import { profileCases, type ProfileSection, type ScenarioCase } from '../scenario/profile.js';
import { resolveLimits } from './evaluate.js';
import { loadGates, type GateFile, type LimitName } from './gate-file.js';

const { gates } = loadGates(undefined);
const QOS = [0, 1, 2] as const;
/** Sections of a profile and the suite whose gates they are checked against. */
const SECTIONS: Record<Exclude<ProfileSection, 'max-rate'>, 'forwarding-loss' | 'load'> = {
  'forwarding-loss': 'forwarding-loss',
  direct: 'forwarding-loss',
  throughput: 'load',
  'mqtt-bench': 'load',
};
/** Every suite that measures a message flow gates what happened to each message. */
const DELIVERY: LimitName[] = ['maxLossRate', 'maxDuplicateRate', 'maxReorderedRate', 'maxCorrupted', 'maxUnconfirmed'];
/** A ratio limit above this lets a broken path through (5 % of messages lost, duplicated or reordered). */
const MAX_RATIO = 0.05;
/** Messages corrupted or never acknowledged: a handful at most. */
const MAX_COUNT = 10;
/** A p99 limit must fit this many times into the run, else it only trips on a run that never ends. */
const P99_PER_RUN = 4;
/** Without a duration, a p99 limit above this says nothing about a forwarder. */
const MAX_P99_MS = 5_000;
/** Every rate-limited scenario must reach at least this share of its requested rate. */
const MIN_RATE_SHARE = 0.9;

interface Case {
  suite: 'forwarding-loss' | 'load';
  scenario: string;
  qos: 0 | 1 | 2;
  durationMs?: number;
  rateLimited: boolean;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const profile of ['ci', 'full'] as const) {
    for (const [section, suite] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, Case['suite']][]) {
      for (const c of profileCases(profile, section)) all.push(toCase(suite, section, c));
    }
  }
  return all;
}

function toCase(suite: Case['suite'], section: ProfileSection, c: ScenarioCase): Case {
  const scenario = section === 'direct' ? `${c.scenario}-direct` : c.scenario;
  const durationMs = c.workload.durationMs;
  return {
    suite,
    scenario,
    qos: c.qos,
    ...(durationMs !== undefined ? { durationMs } : {}),
    rateLimited: c.workload.ratePerSecond > 0,
  };
}

describe('the default gates cannot be passed by a broken path', () => {
  test('every suite that measures gates loss, duplicates, reordering, corruption and unacknowledged publishes', () => {
    for (const suite of ['forwarding-loss', 'load'] as const) {
      for (const qos of QOS) {
        const { limits } = resolveLimits(gates, suite, '(any scenario)', qos);
        const missing = DELIVERY.filter((name) => limits[name] === undefined);
        expect(missing, `${suite} QoS ${qos} has no ${missing.join(', ')} gate`).toEqual([]);
      }
    }
  });

  test('every limit of every scenario the profiles run is one a regression can cross', () => {
    expect(vacuousLimits(gates)).toEqual([]);
  });

  test('the walk catches a minimum of 0, a loose ratio, a p99 as long as the run, and a rate step without a rate floor', () => {
    const base = gates['forwarding-loss'];
    if (!base) throw new Error('no forwarding-loss gates');
    const planted: GateFile = {
      ...gates,
      'forwarding-loss': {
        defaults: { ...base.defaults, maxLossRate: 0.5 },
        scenarios: { ...base.scenarios, 'rate-500': { minReceivePerSec: 0, maxP99Ms: 10_000 } },
      },
    };
    const found = vacuousLimits(planted);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^forwarding-loss rate-500 QoS 1: minReceivePerSec = 0 .*always passes/),
        expect.stringMatching(/^forwarding-loss light QoS 0: maxLossRate = 0\.5 .*above 0\.05/),
        expect.stringMatching(/^forwarding-loss rate-500 QoS 2: maxP99Ms = 10000 .*above 1000 ms for a run of 4000 ms/),
        expect.stringMatching(/^forwarding-loss rate-500 QoS 0: rate limited, but minRateAchieved is not set/),
      ]),
    );
  });
});

/** One line per limit of `file` that a real regression could not cross, over every scenario the profiles run. */
function vacuousLimits(file: GateFile): string[] {
  const vacuous: string[] = [];
  for (const c of cases()) {
    const { limits } = resolveLimits(file, c.suite, c.scenario, c.qos);
    const where = `${c.suite} ${c.scenario} QoS ${c.qos}`;
    for (const [name, limit] of Object.entries(limits) as [LimitName, { value: number; source: string }][]) {
      const value = limit.value;
      const at = `${where}: ${name} = ${value} (${limit.source})`;
      if (name.startsWith('min') && value <= 0) vacuous.push(`${at}: a minimum of 0 always passes`);
      if (['maxLossRate', 'maxDuplicateRate', 'maxReorderedRate'].includes(name) && value > MAX_RATIO)
        vacuous.push(`${at}: above ${MAX_RATIO}`);
      if (['maxCorrupted', 'maxUnconfirmed'].includes(name) && value > MAX_COUNT)
        vacuous.push(`${at}: above ${MAX_COUNT} messages`);
      if (name === 'maxP99Ms') {
        const bound = c.durationMs !== undefined ? c.durationMs / P99_PER_RUN : MAX_P99_MS;
        if (value > bound) vacuous.push(`${at}: above ${bound} ms for a run of ${c.durationMs ?? '(count-based)'} ms`);
      }
    }
    if (c.rateLimited) {
      const share = limits.minRateAchieved?.value;
      if (share === undefined || share < MIN_RATE_SHARE)
        vacuous.push(
          `${where}: rate limited, but minRateAchieved is ${share ?? 'not set'} (at least ${MIN_RATE_SHARE})`,
        );
    }
  }
  return [...new Set(vacuous)];
}
