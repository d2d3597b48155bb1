export type ErrorSource = 'publisher' | 'subscriber' | 'run';

/** One distinct failure, with how often it happened and the first client that hit it. */
export interface LoadError {
  source: ErrorSource;
  /** First client id (or "run") that reported it. */
  clientId: string;
  message: string;
  count: number;
  /** Milliseconds after the run started. */
  firstAtMs: number;
}

const MAX_DISTINCT_ERRORS = 50;

/** Collects errors without flooding: 1,000 publishers hitting one broker error give one entry with count 1000. */
export class ErrorLog {
  private readonly byKey = new Map<string, LoadError>();
  private dropped = 0;

  constructor(private readonly startMs: number = Date.now()) {}

  record(source: ErrorSource, clientId: string, message: string): void {
    const key = `${source}\u0000${message}`;
    const existing = this.byKey.get(key);
    if (existing) {
      existing.count++;
      return;
    }
    if (this.byKey.size >= MAX_DISTINCT_ERRORS) {
      this.dropped++;
      return;
    }
    this.byKey.set(key, { source, clientId, message, count: 1, firstAtMs: Date.now() - this.startMs });
  }

  get size(): number {
    return this.byKey.size + this.dropped;
  }

  list(): LoadError[] {
    const errors = [...this.byKey.values()].map((e) => ({ ...e }));
    if (this.dropped > 0) {
      errors.push({
        source: 'run',
        clientId: 'run',
        message: `${this.dropped} further distinct errors were not kept`,
        count: this.dropped,
        firstAtMs: 0,
      });
    }
    return errors;
  }
}

/** Errors of several workers as one list: the same failure is one entry with the counts added. */
export function mergeErrors(lists: readonly (readonly LoadError[])[]): LoadError[] {
  const byKey = new Map<string, LoadError>();
  for (const list of lists) {
    for (const error of list) {
      const key = `${error.source}\u0000${error.message}`;
      const existing = byKey.get(key);
      if (!existing) {
        byKey.set(key, { ...error });
        continue;
      }
      existing.count += error.count;
      if (error.firstAtMs < existing.firstAtMs) {
        existing.firstAtMs = error.firstAtMs;
        existing.clientId = error.clientId;
      }
    }
  }
  return [...byKey.values()];
}
