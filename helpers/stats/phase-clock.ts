/**
 * Where a test file's time went: the harness marks the phases it spends time in (starting brokers
 * and topologies, waiting for them to be ready, measuring, waiting for messages to arrive or to
 * prove they will not, tearing down), and each instant of the file is attributed to one phase.
 * Phases nest (a broker's readiness inside its start) and overlap (tests running concurrently):
 * an instant in several phases counts once, for the most specific one (PHASES order), and time in
 * none is `other` (the tests' own steps, vitest). Plain data, no I/O: a process-wide clock.
 */

/** Most specific first: an instant inside readiness and start counts as readiness. */
export const PHASES = ['teardown', 'readiness', 'start', 'waiting', 'measurement'] as const;
export type Phase = (typeof PHASES)[number];

/** Milliseconds per phase over a span of time (exclusive: they add up to the span with `other`). */
export type PhaseTotals = Record<Phase | 'other', number>;

interface Interval {
  phase: Phase;
  startMs: number;
  endMs: number;
}

export class PhaseClock {
  private intervals: Interval[] = [];
  private spanStartMs = performance.now();

  /** Runs `work` in `phase` and records how long it took (also when it throws). */
  async time<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    const startMs = performance.now();
    try {
      return await work();
    } finally {
      this.intervals.push({ phase, startMs, endMs: performance.now() });
    }
  }

  /** The totals since the last take (or since the clock was made), and a fresh span from now. */
  take(nowMs = performance.now()): PhaseTotals {
    const totals = attribute(this.intervals, this.spanStartMs, nowMs);
    this.intervals = [];
    this.spanStartMs = nowMs;
    return totals;
  }
}

/** Each instant of [fromMs, toMs] to its most specific phase; the rest to `other`. */
export function attribute(intervals: readonly Interval[], fromMs: number, toMs: number): PhaseTotals {
  const totals: PhaseTotals = { teardown: 0, readiness: 0, start: 0, waiting: 0, measurement: 0, other: 0 };
  const clipped = intervals
    .map((i) => ({ ...i, startMs: Math.max(i.startMs, fromMs), endMs: Math.min(i.endMs, toMs) }))
    .filter((i) => i.endMs > i.startMs);
  const edges = [...new Set([fromMs, toMs, ...clipped.flatMap((i) => [i.startMs, i.endMs])])].sort((a, b) => a - b);
  for (let k = 0; k + 1 < edges.length; k += 1) {
    const a = edges[k] as number;
    const b = edges[k + 1] as number;
    const active = clipped.filter((i) => i.startMs <= a && i.endMs >= b).map((i) => i.phase);
    const phase = PHASES.find((p) => active.includes(p)) ?? 'other';
    totals[phase] += b - a;
  }
  for (const key of Object.keys(totals) as (keyof PhaseTotals)[]) totals[key] = Math.round(totals[key]);
  return totals;
}

/** The clock of this process (a test worker, or a load command). */
export const phaseClock = new PhaseClock();
