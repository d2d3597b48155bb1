import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling resolution of the event-loop delay monitor. */
const EVENT_LOOP_DELAY_RESOLUTION_MS = 5;
const NS_PER_MS = 1e6;

export interface EventLoopReport {
  lagP99Ms: number;
  lagMaxMs: number;
  utilization: number;
}

/** Watches the harness's own event loop: delay (lag) and utilisation, for the run and per period. */
export class HarnessMonitor {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({
    resolution: EVENT_LOOP_DELAY_RESOLUTION_MS,
  });
  private runStart: EventLoopUtilization | undefined;
  private periodStart: EventLoopUtilization | undefined;

  start(): void {
    this.delay.reset();
    this.delay.enable();
    this.runStart = performance.eventLoopUtilization();
    this.periodStart = this.runStart;
  }

  /** Utilisation since the previous call (or since start). */
  periodUtilization(): number {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.periodStart);
    this.periodStart = now;
    return delta.utilization;
  }

  stop(): EventLoopReport {
    this.delay.disable();
    const utilization = this.runStart ? performance.eventLoopUtilization(this.runStart).utilization : 0;
    const hasSamples = this.delay.count > 0;
    return {
      lagP99Ms: hasSamples ? round2(this.delay.percentile(99) / NS_PER_MS) : 0,
      lagMaxMs: hasSamples ? round2(this.delay.max / NS_PER_MS) : 0,
      utilization: Math.round(utilization * 1000) / 1000,
    };
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
