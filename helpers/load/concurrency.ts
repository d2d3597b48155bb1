/**
 * Runs `task(0..count-1)` with at most `limit` at a time, and, with
 * `ratePerSecond` > 0, starts task k no earlier than k / ratePerSecond after
 * the first (a connection ramp-up). On the first failure no new task starts;
 * the ones running finish, then the first error is thrown (so the caller can
 * close whatever they opened). Aborting stops starting tasks and ends a
 * ramp-up wait at once.
 */
export async function forEachLimited(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
  ratePerSecond = 0,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const startMs = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && !failure) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        if (ratePerSecond > 0) await sleepUntil(startMs + (index * 1000) / ratePerSecond, signal);
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure) throw failure.error;
}

function sleepUntil(atMs: number, signal: AbortSignal | undefined): Promise<void> {
  const waitMs = atMs - performance.now();
  if (waitMs <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, waitMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
