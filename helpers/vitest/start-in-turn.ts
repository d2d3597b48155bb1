/**
 * Starts `start(item)` for each item once the start before it settled (a failed start does not
 * stop the line). Once `ended()` is true, the items still waiting for their turn are not started:
 * their promises reject with `notStarted(item)`.
 */
export function startInTurn<I, T>(
  items: readonly I[],
  start: (item: I) => Promise<T>,
  ended: () => boolean,
  notStarted: (item: I) => Error,
): Promise<T>[] {
  let previous: Promise<unknown> = Promise.resolve();
  return items.map((item) => {
    const started = previous.then(() => {
      if (ended()) throw notStarted(item);
      return start(item);
    });
    previous = started.catch(() => undefined);
    return started;
  });
}
