import type { GateOutcome } from '../model/index.js';
import { type CpuShares, describeCpuShares } from '../stats/cpu-shares.js';
import { isTimingGate } from './evaluate.js';
/**
 * The verdict of a scenario's failed timing gates (p99 latency, rates): whose failure is it?
 *
 * Anything that slows the harness only makes timing figures worse (lower rates, latencies with
 * queueing in them), so a timing gate that passes is sound whatever else happened, and only a
 * failed one needs judging. The harness knows the CPU time of its own process, of the processes and
 * containers it started for the system under test, and of the whole machine:
 * - the machine had idle cores: the failure is the system under test's, unless the harness's own
 *   event loop was saturated (then the harness fell behind on its own: inconclusive);
 * - the machine was CPU-bound: whoever used most of it is responsible. The system under test, when
 *   it used at least as much as the harness and as everything else together: it starved the
 *   harness, and a broker or forwarder that regresses by burning CPU cannot excuse itself.
 *   Otherwise the harness or other processes may have caused it: inconclusive.
 * Where the system under test's CPU is not visible (an embedded broker inside the harness, an
 * external one), a CPU-bound machine makes the failure inconclusive.
 */

/** The machine counts as CPU-bound above this share of its cores busy. */
export const MACHINE_BUSY_SHARE = 0.85;

export type TimingJudgement =
  /** No timing gate failed, or the failure is the system under test's on an otherwise quiet machine. */
  | { kind: 'sound' }
  /** Timing gates failed on a CPU-bound machine whose CPU the system under test took: they stand, and say so. */
  | { kind: 'system-under-test'; evidence: string }
  /** Timing gates failed while the harness or other processes may have caused it. */
  | { kind: 'inconclusive'; reason: string };

export interface HarnessState {
  /** The load engine's own diagnosis: its event loop or sender could not keep up. */
  saturated: boolean;
  reasons: readonly string[];
}

export function judgeTiming(failedTimingGates: number, harness: HarnessState, cpu: CpuShares | null): TimingJudgement {
  if (failedTimingGates === 0) return { kind: 'sound' };
  const saturation = harness.saturated ? `the harness was saturated (${harness.reasons.join('; ')})` : '';
  if (!cpu || cpu.machineBusyCores === null) {
    return harness.saturated
      ? { kind: 'inconclusive', reason: `${saturation}; the machine's CPU use could not be measured` }
      : { kind: 'sound' };
  }
  const shares = describeCpuShares(cpu);
  const cpuBound = cpu.machineBusyCores >= MACHINE_BUSY_SHARE * cpu.machineCores;
  if (!cpuBound) {
    return harness.saturated
      ? { kind: 'inconclusive', reason: `${saturation} while the machine had idle cores (${shares})` }
      : { kind: 'sound' };
  }
  const sut = cpu.systemUnderTestCores;
  const prefix = saturation ? `${saturation}; ` : '';
  if (sut === null) {
    return {
      kind: 'inconclusive',
      reason: `${prefix}the machine was CPU-bound (${shares}) and the system under test's share is not visible`,
    };
  }
  const others = Math.max(0, cpu.machineBusyCores - cpu.harnessCores - sut);
  if (sut >= cpu.harnessCores && sut >= others) {
    return {
      kind: 'system-under-test',
      evidence: `${prefix}the machine was CPU-bound and the system under test took most of it (${shares}): the failure is the system under test's`,
    };
  }
  const taker = others > cpu.harnessCores ? 'other processes' : 'the harness';
  return {
    kind: 'inconclusive',
    reason: `${prefix}the machine was CPU-bound and ${taker}, not the system under test, took most of it (${shares})`,
  };
}

/**
 * Whether a measurement failed on timing gates alone (no other gate, no delivery problem): then
 * it is measured once more and the rerun decides. On a shared CI machine a p99 of a few seconds'
 * measurement can take one stall of the machine (a 150 ms stall puts 1 % of a 500 msg/s step
 * above 100 ms); a stall does not repeat on cue, a slow system under test does. Loss, duplicates,
 * corruption and errors are never rerun: one of them is a failure.
 */
export function onlyTimingBroken(gates: readonly GateOutcome[], deliveryProblems: number): boolean {
  const broken = gates.filter((g) => !g.passed);
  return deliveryProblems === 0 && broken.length > 0 && broken.every((g) => isTimingGate(g));
}
