/**
 * The start barrier: every shard announces "ready" on the control channel, again and again, with
 * how many shards it has seen ready, until every shard has said it has seen all of them. Repeating
 * the announcement lets a shard that subscribed late catch up without retained messages (which
 * would outlive the run); waiting for "everyone has seen everyone" means no shard starts while
 * another still waits. Each shard's first "ready" time travels with it, so all shards compute the
 * same start from the same data.
 */
import { nowUs } from '../clock.js';
import type { ControlChannel, ControlMessage } from './control-channel.js';

/** How often a waiting shard repeats its announcement. */
const ANNOUNCE_MS = 200;

export interface BarrierOptions {
  count: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface BarrierResult {
  /** When each shard became ready (µs on its own clock), index 0 = shard 1. */
  readyUs: number[];
  /** When this shard saw the barrier complete (µs). */
  completedUs: number;
}

export class BarrierError extends Error {
  override name = 'BarrierError';
}

export function startBarrier(channel: ControlChannel, options: BarrierOptions): Promise<BarrierResult> {
  const { count } = options;
  const me = channel.shard;
  const myReadyUs = nowUs();
  const readyUs = new Map<number, number>();
  const allSeen = new Set<number>();
  return new Promise<BarrierResult>((resolve, reject) => {
    const announce = (): void => channel.send({ kind: 'ready', seen: readyUs.size, readyUs: myReadyUs });
    const finish = (error?: Error): void => {
      clearInterval(repeat);
      clearTimeout(timeout);
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else
        resolve({
          readyUs: Array.from({ length: count }, (_, i) => readyUs.get(i + 1) as number),
          completedUs: nowUs(),
        });
    };
    const onMessage = (message: ControlMessage): void => {
      if (message.from < 1 || message.from > count) return;
      if (message.kind === 'gone') {
        finish(
          new BarrierError(`shard ${message.from}/${count} left before the start (its control connection dropped)`),
        );
        return;
      }
      if (message.kind !== 'ready' || typeof message.readyUs !== 'number') return;
      const known = readyUs.size;
      readyUs.set(message.from, message.readyUs);
      if (message.seen === count) allSeen.add(message.from);
      if (readyUs.size > known && readyUs.size === count) announce();
      if (allSeen.size === count) finish();
    };
    const onAbort = (): void =>
      finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    const unsubscribe = channel.onMessage(onMessage);
    const repeat = setInterval(announce, ANNOUNCE_MS);
    const timeout = setTimeout(() => {
      const missing = Array.from({ length: count }, (_, i) => i + 1).filter((shard) => !readyUs.has(shard));
      finish(
        new BarrierError(
          missing.length > 0
            ? `shard(s) ${missing.map((s) => `${s}/${count}`).join(', ')} not ready after ${options.timeoutMs} ms: every shard must run with the same --run-id, --shard K/${count} and broker (is each one started and connected?)`
            : `shard ${me}/${count}: every shard was seen ready, but not every shard confirmed it within ${options.timeoutMs} ms`,
        ),
      );
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    announce();
  });
}
