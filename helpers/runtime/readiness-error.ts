import { redact } from '../security/redact.js';

/**
 * A component did not become ready in time (or died while starting). The message names the
 * component, what was awaited and for how long, and ends with the component's last log lines.
 */
export class ReadinessError extends Error {
  override readonly name = 'ReadinessError';
  constructor(
    readonly component: string,
    readonly awaited: string,
    readonly elapsedMs: number,
    readonly logTail: string,
    cause?: unknown,
  ) {
    // Shown in test output and stored in reports: never with a password in it.
    const because = cause instanceof Error ? ` (${redact(cause.message)})` : '';
    const logs =
      logTail.trim() === ''
        ? '(no log output)'
        : redact(logTail)
            .trimEnd()
            .split('\n')
            .map((l) => `    | ${l}`)
            .join('\n');
    super(
      `${component}: ${awaited} not reached after ${elapsedMs} ms${because}.\n  Last log lines of ${component}:\n${logs}`,
      { cause },
    );
  }
}

/** Rejects with `onTimeout()` when `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error | Promise<Error>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      Promise.resolve(onTimeout()).then(reject, reject);
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
