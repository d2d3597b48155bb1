/**
 * Runs `task(0..count-1)` with at most `limit` at a time. On the first failure
 * no new task starts; the ones running finish, then the first error is thrown
 * (so the caller can close whatever they opened).
 */
export async function forEachLimited(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < count && !failure) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure) throw failure.error;
}
