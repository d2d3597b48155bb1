import type { IntervalPercentiles } from './interval-recorder.js';
import type { PeriodStats } from './types.js';

/** Cumulative totals sampled at a period boundary. */
export interface PeriodTotals {
  published: number;
  confirmed: number;
  received: number;
  publishFailed: number;
  backlog: number;
  inflight: number;
}

export interface PeriodSample {
  nowUs: number;
  totals: PeriodTotals;
  endToEnd: IntervalPercentiles;
  publishConfirm: IntervalPercentiles;
  eventLoopUtilization: number;
}

const ZERO_TOTALS: PeriodTotals = {
  published: 0,
  confirmed: 0,
  received: 0,
  publishFailed: 0,
  backlog: 0,
  inflight: 0,
};

/** Turns cumulative samples into a per-period series (counts, rates, backlog, percentiles). */
export class PeriodSeries {
  private readonly periods: PeriodStats[] = [];
  private previousUs: number;
  private previous: PeriodTotals = ZERO_TOTALS;

  constructor(private readonly startUs: number) {
    this.previousUs = startUs;
  }

  close(sample: PeriodSample): PeriodStats {
    const durationUs = Math.max(1, sample.nowUs - this.previousUs);
    const perSecond = 1e6 / durationUs;
    const { totals } = sample;
    const published = totals.published - this.previous.published;
    const confirmed = totals.confirmed - this.previous.confirmed;
    const received = totals.received - this.previous.received;
    const period: PeriodStats = {
      startMs: round1((this.previousUs - this.startUs) / 1000),
      durationMs: round1(durationUs / 1000),
      published,
      confirmed,
      received,
      publishFailed: totals.publishFailed - this.previous.publishFailed,
      publishRate: round1(published * perSecond),
      confirmRate: round1(confirmed * perSecond),
      receiveRate: round1(received * perSecond),
      backlog: totals.backlog,
      inflight: totals.inflight,
      endToEndP50Us: sample.endToEnd.p50Us,
      endToEndP99Us: sample.endToEnd.p99Us,
      publishConfirmP99Us: sample.publishConfirm.p99Us,
      eventLoopUtilization: round3(sample.eventLoopUtilization),
    };
    this.periods.push(period);
    this.previousUs = sample.nowUs;
    this.previous = { ...totals };
    return period;
  }

  get series(): PeriodStats[] {
    return this.periods;
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
