import { setMaxListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IClientOptions } from 'mqtt';
import { chooseClient, connectClient, type ClientPreference } from './client/choose-client.js';
import type { LoadClient, LoadClientKind } from './client/types.js';
import { nowUs } from './clock.js';
import { forEachLimited } from './concurrency.js';

export interface IdleConnectionsOptions {
  url: string;
  /** Clients to connect and keep idle (no subscription, no publish). */
  connections: number;
  clientIdPrefix: string;
  protocolVersion?: 4 | 5;
  connectOptions?: IClientOptions;
  /** Parallel CONNECTs. Default 64. */
  concurrency?: number;
  /** The client implementation, as the workload field `client` (default "auto": the one a load run would use). */
  client?: ClientPreference;
  signal?: AbortSignal;
}

export interface IdleConnectionsReport {
  connections: number;
  /** The client implementation measured. */
  client: LoadClientKind;
  connectMs: number;
  /** Process RSS and V8 heap before connecting and with every client connected (after a GC when one can be forced). */
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapUsedBeforeBytes: number;
  heapUsedAfterBytes: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** Whether a full GC ran before each reading (otherwise the heap figure includes garbage). */
  gcForced: boolean;
}

/** Lets readings settle (socket buffers, timers, freed pages) before they are taken. */
const SETTLE_MS = 200;
const SETTLE_ROUNDS = 10;

/**
 * Memory per idle connection of the harness: RSS and heap of this process
 * before and after connecting `connections` load clients that do nothing,
 * divided by the count. Tells how many clients one harness process can hold
 * (mqtt-bench's 1,000 clients, or 10,000).
 */
export async function measureIdleConnections(options: IdleConnectionsOptions): Promise<IdleConnectionsReport> {
  const gc = exposeGc();
  const clients: LoadClient[] = [];
  const { kind } = chooseClient(options.client ?? 'auto', [options.url], options.connectOptions);
  // One abort listener per CONNECT in flight: a signal of our own, linked to the caller's.
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const before = await reading(gc);
    const startUs = nowUs();
    await forEachLimited(
      options.connections,
      options.concurrency ?? 64,
      async (i) => {
        const clientId = `${options.clientIdPrefix}-idle-${i}`;
        clients.push(
          await connectClient(kind, {
            url: options.url,
            clientId,
            protocolVersion: options.protocolVersion ?? 4,
            options: options.connectOptions,
            onError: () => undefined,
            signal: controller.signal,
          }),
        );
      },
      controller.signal,
    );
    const connectMs = Math.round((nowUs() - startUs) / 1000);
    const after = await reading(gc);
    const n = Math.max(1, options.connections);
    return {
      connections: options.connections,
      client: kind,
      connectMs,
      rssBeforeBytes: before.rss,
      rssAfterBytes: after.rss,
      heapUsedBeforeBytes: before.heapUsed,
      heapUsedAfterBytes: after.heapUsed,
      rssPerConnectionBytes: Math.round((after.rss - before.rss) / n),
      heapPerConnectionBytes: Math.round((after.heapUsed - before.heapUsed) / n),
      gcForced: gc !== undefined,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(clients.map((client) => client.close()));
  }
}

/**
 * A reading once memory has settled: garbage of earlier work in the process
 * (a previous test) is collected and RSS stops moving (within 1 %), so the
 * delta is the connections' own.
 */
async function reading(gc: (() => void) | undefined): Promise<{ rss: number; heapUsed: number }> {
  let previous = Number.NaN;
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    gc?.();
    const rss = process.memoryUsage.rss();
    if (Math.abs(rss - previous) < rss * 0.01) break;
    previous = rss;
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** A full-GC function even without --expose-gc (V8 flag set at run time, read from a fresh context). */
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}
