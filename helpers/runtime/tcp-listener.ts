import { connect } from 'node:net';

const RETRY_PAUSE_MS = 20;

/**
 * Waits until something accepts TCP connections at `host:port`, for helpers that log nothing when
 * they are ready (epmd). Polls every 20 ms; fails after `timeoutMs`, or at once when `abortReason`
 * returns why waiting is pointless (the process exited).
 */
export async function waitForListener(
  host: string,
  port: number,
  timeoutMs: number,
  abortReason: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await accepts(host, port)) return;
    const abort = abortReason();
    if (abort) throw new Error(`nothing listens on ${host}:${port}: ${abort}`);
    if (Date.now() >= deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
  }
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
