/** Something the testbed stops at the end: a broker, a forwarder, a network. */
export interface Disposable {
  readonly label: string;
  dispose(): Promise<void>;
}

/**
 * Disposes every part at once (a graceful RabbitMQ stop takes seconds); each is disposed even when
 * another fails, and every failure is reported.
 */
export async function disposeTogether(parts: readonly Disposable[]): Promise<void> {
  const failures = (await Promise.allSettled(parts.map((p) => p.dispose()))).flatMap((r) =>
    r.status === 'rejected' ? [r.reason as unknown] : [],
  );
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1)
    throw new AggregateError(failures, `disposing ${parts.map((p) => p.label).join(' and ')} failed`);
}
