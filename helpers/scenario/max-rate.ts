/**
 * The maximum sustainable rate, searched the way OpenMessaging Benchmark
 * means it (WorkloadGenerator.findMaximumSustainableRate: a rate is
 * sustainable when consumers keep up with producers), as steps: each rate
 * from the profile's list is one short run; the search stops at the first
 * rate where the receive rate falls behind, loss or the latency from the
 * intended send time breaks its limit. Optionally it then bisects between
 * the last rate that held and the first that did not. A step the harness
 * itself could not drive stops the search too, and says so: then the system's
 * limit is only known to be at least the best rate that held.
 */
import type { GateFile } from '../gates/gate-file.js';
import { resolveLimits } from '../gates/evaluate.js';
import type { LoadResult } from '../load/types.js';
import type { ScenarioCase } from './profile.js';

export interface MaxRateCriteria {
  /** Unique receipts per second per receiver group must reach this share of the requested rate. Default 0.95. */
  minRateShare: number;
  /** Lost / expected at most this (ratio). */
  maxLossRate: number;
  /** p99 latency from the intended send time (no coordinated omission) at most this, ms. */
  maxP99Ms: number;
}

export const DEFAULT_MAX_RATE_CRITERIA: MaxRateCriteria = { minRateShare: 0.95, maxLossRate: 0, maxP99Ms: 250 };
/** QoS 0 may lose a little by design (the forwarding-loss gate allows 0.1 %); QoS 1 and 2 nothing. */
const DEFAULT_MAX_LOSS_BY_QOS = { 0: 0.001, 1: 0, 2: 0 } as const;

/**
 * The criteria of one search: built-in defaults, then the profile entry's `criteria`, then a gate
 * file's `load` suite limits for the scenario (maxLossRate, maxP99Ms, minRateAchieved), so a
 * run's MQTT_TESTBENCH_GATES file can tighten or relax them like any other gate.
 */
export function maxRateCriteria(
  scenario: Pick<ScenarioCase, 'scenario' | 'qos' | 'criteria'>,
  gates?: GateFile,
): MaxRateCriteria {
  const fromEntry = scenario.criteria ?? {};
  const loss = fromEntry.maxLossRate;
  const criteria: MaxRateCriteria = {
    minRateShare: fromEntry.minRateShare ?? DEFAULT_MAX_RATE_CRITERIA.minRateShare,
    maxLossRate:
      loss === undefined
        ? DEFAULT_MAX_LOSS_BY_QOS[scenario.qos]
        : typeof loss === 'number'
          ? loss
          : loss[String(scenario.qos) as '0' | '1' | '2'],
    maxP99Ms: fromEntry.maxP99Ms ?? DEFAULT_MAX_RATE_CRITERIA.maxP99Ms,
  };
  if (gates) {
    const { limits } = resolveLimits(gates, 'load', scenario.scenario, scenario.qos);
    if (limits['maxLossRate']) criteria.maxLossRate = limits['maxLossRate'].value;
    if (limits['maxP99Ms']) criteria.maxP99Ms = limits['maxP99Ms'].value;
    if (limits['minRateAchieved']) criteria.minRateShare = limits['minRateAchieved'].value;
  }
  return criteria;
}

export interface MaxRateStep {
  /** Requested total rate, msg/s. */
  rate: number;
  held: boolean;
  /** Why the step did not hold; empty when it held. */
  failures: string[];
  /** Unique receipts per second per receiver group. */
  receivePerSec: number;
  confirmedPerSec: number;
  lossRate: number;
  /** p99 from the intended send time, ms. */
  p99Ms: number;
  limitedBy: LoadResult['diagnostics']['limitedBy'];
  harnessSaturated: boolean;
  /**
   * Did not hold only because of the harness: it limited the rate, or only the latency broke its
   * limit and the harness's own delays were a large part of it; nothing was lost and no error
   * was reported. Says nothing about the system under test.
   */
  harnessLimited: boolean;
  /** Which try of this rate this was (a failed step may be repeated once: `retries`). */
  attempt: number;
}

export type MaxRateStop = 'failed' | 'harness' | 'exhausted';

export interface MaxRateResult {
  /** Highest requested rate that held; null when not even the first held. */
  maxSustainableRate: number | null;
  steps: MaxRateStep[];
  /**
   * failed: a rate broke a criterion (the system under test's limit);
   * harness: the harness could not drive a rate (the system's limit is higher than it could show);
   * exhausted: every rate held (the limit is above the highest rate tried).
   */
  stoppedBy: MaxRateStop;
  /** The run of the best rate that held, for its latency and period series. */
  best: LoadResult | null;
}

export interface MaxRateSearch {
  /** Rates to step through, msg/s (sorted ascending here). */
  rates: readonly number[];
  criteria: MaxRateCriteria;
  /** Extra steps halving the gap between the last rate that held and the first that did not. Default 0. */
  bisect?: number;
  /** Repeat a failed step this often before believing it (noise on a shared machine). Default 0. */
  retries?: number;
  /** Bisect steps stop when the gap is this small, msg/s. Default 5 % of the rate that held. */
  minGap?: number;
  /** One short run at the given total rate. */
  run(rate: number): Promise<LoadResult>;
  onStep?(step: MaxRateStep): void;
}

export async function findMaxSustainableRate(search: MaxRateSearch): Promise<MaxRateResult> {
  const rates = [...new Set(search.rates)].sort((a, b) => a - b);
  if (rates.length === 0 || rates.some((rate) => !(rate > 0))) {
    throw new RangeError(`findMaxSustainableRate: rates must be positive numbers, got ${JSON.stringify(search.rates)}`);
  }
  const steps: MaxRateStep[] = [];
  let best: { rate: number; load: LoadResult } | null = null;
  let failedRate: number | null = null;
  let stoppedBy: MaxRateStop = 'exhausted';

  const attempt = async (rate: number): Promise<MaxRateStep> => {
    let step: MaxRateStep | undefined;
    for (let attemptNo = 1; attemptNo <= 1 + (search.retries ?? 0); attemptNo++) {
      const load = await search.run(rate);
      step = evaluateStep(rate, load, search.criteria, attemptNo);
      steps.push(step);
      search.onStep?.(step);
      if (step.held) {
        if (!best || rate > best.rate) best = { rate, load };
        return step;
      }
    }
    return step as MaxRateStep;
  };

  for (const rate of rates) {
    const step = await attempt(rate);
    if (!step.held) {
      failedRate = rate;
      stoppedBy = step.harnessLimited ? 'harness' : 'failed';
      break;
    }
  }
  // Bisect only below a failure of the system under test: above a harness failure nothing can be learned.
  let low = (best as { rate: number } | null)?.rate ?? null;
  let high = stoppedBy === 'failed' ? failedRate : null;
  for (let i = 0; i < (search.bisect ?? 0) && low !== null && high !== null; i++) {
    const gap = search.minGap ?? Math.max(1, low * 0.05);
    if (high - low <= gap) break;
    const mid = roundRate((low + high) / 2);
    if (mid <= low || mid >= high) break;
    const step = await attempt(mid);
    if (step.held) {
      low = mid;
    } else if (step.harnessLimited) {
      break;
    } else {
      high = mid;
    }
  }
  const found = best as { rate: number; load: LoadResult } | null;
  return { maxSustainableRate: found?.rate ?? null, steps, stoppedBy, best: found?.load ?? null };
}

/** Whether one run at `rate` held, and if not, why (one sentence per broken criterion). */
export function evaluateStep(rate: number, load: LoadResult, criteria: MaxRateCriteria, attempt = 1): MaxRateStep {
  const c = load.counters;
  const groups = Math.max(1, c.receiverGroups);
  const receivePerSec = load.throughput.receivedPerSecond / groups;
  const p99Us = (load.latency.endToEndFromIntended ?? load.latency.endToEnd).p99;
  const p99Ms = p99Us / 1000;
  const failures: string[] = [];
  const lossy = c.lossRatio > criteria.maxLossRate;
  const slow = receivePerSec < rate * criteria.minRateShare;
  const late = p99Ms > criteria.maxP99Ms;
  if (slow) {
    failures.push(
      `received ${Math.round(receivePerSec)} msg/s, below ${Math.round(criteria.minRateShare * 100)} % of ${rate} msg/s`,
    );
  }
  if (lossy) {
    failures.push(
      `lost ${c.lost} of ${c.expected} (${(c.lossRatio * 100).toPrecision(3)} %, limit ${(criteria.maxLossRate * 100).toPrecision(3)} %)`,
    );
  }
  if (late) failures.push(`p99 from intended send ${p99Ms.toFixed(1)} ms, limit ${criteria.maxP99Ms} ms`);
  if (load.errors.length > 0) failures.push(`the run reported errors: ${load.errors.map((e) => e.message).join('; ')}`);
  return {
    rate,
    held: failures.length === 0,
    failures,
    receivePerSec: Math.round(receivePerSec * 10) / 10,
    confirmedPerSec: load.throughput.confirmedPerSecond,
    lossRate: c.lossRatio,
    p99Ms: Math.round(p99Ms * 100) / 100,
    limitedBy: load.diagnostics.limitedBy,
    harnessSaturated: load.diagnostics.harnessSaturated,
    // The harness is to blame when it limited the rate, or when only the latency failed and the harness distorted it.
    harnessLimited:
      failures.length > 0 &&
      !lossy &&
      load.errors.length === 0 &&
      (load.diagnostics.limitedBy === 'harness' || (late && !slow && load.diagnostics.harnessSaturated)),
    attempt,
  };
}

/** One line per step, for reports: `2000 held · 5000 held · 10000 failed (received 9012 msg/s, ...)`. */
export function describeSteps(steps: readonly MaxRateStep[]): string {
  return steps
    .map(
      (s) =>
        `${s.rate} ${s.held ? 'held' : `${s.harnessLimited ? 'harness-limited' : 'failed'} (${s.failures.join('; ')})`}`,
    )
    .join(' · ');
}

function roundRate(rate: number): number {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 2);
  return Math.round(rate / magnitude) * magnitude;
}
