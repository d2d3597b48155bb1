import { nowUs } from './clock.js';
import type { RunStats } from './run-stats.js';

export type DrainOutcome = 'complete' | 'idle' | 'max' | 'aborted';

export interface DrainReport {
  /** complete: everything confirmed arrived and nothing is in flight; idle: no progress for drainIdleMs; max: drainMaxMs reached. */
  outcome: DrainOutcome;
  waitedMs: number;
  /** Confirmed deliveries still missing when the drain ended. */
  missingAtEnd: number;
  /** Publishes still unconfirmed when the drain ended. */
  inflightAtEnd: number;
}

export interface DrainLimits {
  idleMs: number;
  maxMs: number;
  signal?: AbortSignal;
}

/**
 * Waits, without fixed sleeps, until every confirmed message reached every
 * receiver group and nothing is in flight, or until no confirmation or
 * receipt was seen for `idleMs`, or `maxMs` passed. Completion is checked on
 * every event; the idle timer re-arms for the time left since the last progress.
 */
export function drain(stats: RunStats, limits: DrainLimits): Promise<DrainReport> {
  const startUs = nowUs();
  stats.lastProgressUs = Math.max(stats.lastProgressUs, startUs);
  const complete = (): boolean => stats.accounting.missing === 0 && stats.inflight === 0;

  return new Promise<DrainReport>((resolve) => {
    let idleTimer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (outcome: DrainOutcome): void => {
      if (done) return;
      done = true;
      stats.onProgress = null;
      clearTimeout(idleTimer);
      clearTimeout(maxTimer);
      limits.signal?.removeEventListener('abort', onAbort);
      resolve({
        outcome,
        waitedMs: Math.round((nowUs() - startUs) / 100) / 10,
        missingAtEnd: stats.accounting.missing,
        inflightAtEnd: stats.inflight,
      });
    };
    const armIdle = (waitMs: number): void => {
      idleTimer = setTimeout(() => {
        const idleMs = (nowUs() - stats.lastProgressUs) / 1000;
        if (idleMs >= limits.idleMs) finish('idle');
        else armIdle(Math.max(1, Math.ceil(limits.idleMs - idleMs)));
      }, waitMs);
    };
    const onAbort = (): void => finish('aborted');
    const maxTimer = setTimeout(() => finish('max'), limits.maxMs);
    if (limits.signal?.aborted) {
      finish('aborted');
      return;
    }
    limits.signal?.addEventListener('abort', onAbort, { once: true });
    if (complete()) {
      finish('complete');
      return;
    }
    stats.onProgress = () => {
      if (complete()) finish('complete');
    };
    armIdle(limits.idleMs);
  });
}
