/**
 * ShardCoordinator: the ShardSync of a real sharded run. It puts this process's engine clock on
 * the wall-clock timeline, opens the control channel (shards > 1), and then, once runLoad has
 * connected every client: waits at the start barrier, measures the clock offset to shard 1, sleeps
 * until the common start; during the drain it tells the others how many publishes this shard
 * confirmed and learns how many they did; throughout, it notes shards that vanished (their will).
 */
import type { IClientOptions } from 'mqtt';
import { nowUs, useWallClockBase, WALL_EPOCH_MS, wallMsToClockUs } from '../clock.js';
import { answerPings, measureOffset } from './clock-skew.js';
import { ControlChannel, type ControlMessage } from './control-channel.js';
import type { ShardId } from './shard-plan.js';
import { startBarrier } from './start-barrier.js';
import type { ClockOffset, ShardSync, ShardSyncReport } from './types.js';

/** Without --start-at, sending starts this long after the last shard was ready (time to see the barrier complete). */
export const START_MARGIN_MS = 500;
/** A shard that begins sending later than this after the common start says so in its result. */
const LATE_START_WARNING_MS = 100;
export const DEFAULT_BARRIER_TIMEOUT_MS = 300_000;

export interface CoordinatorOptions {
  shard: ShardId;
  /** Broker of the control channel (the broker the publishers use). */
  url: string;
  connectOptions?: IClientOptions;
  /** Topic root of the control messages; must not be under the load topics' filter. */
  controlRoot: string;
  clientId: string;
  /** Wall-clock time (ms since 1970) sending starts at; default: START_MARGIN_MS after the last shard is ready. */
  startAtMs?: number;
  /** How long to wait for every shard at the barrier. */
  barrierTimeoutMs?: number;
  signal?: AbortSignal;
  /** Told the common start once it is known (before this shard sleeps until it). */
  onStartKnown?: (startAt: string, inMs: number) => void;
}

export class ShardCoordinator implements ShardSync {
  private readonly doneBy = new Map<number, number>();
  private readonly lost = new Set<number>();
  private readonly errors: string[] = [];
  private clock: ClockOffset | null = null;
  private started: { startUs: number; waitedMs: number; lateMs: number } | undefined;
  private readonly createdMs = Date.now();

  private constructor(
    private readonly options: CoordinatorOptions,
    private readonly channel: ControlChannel | undefined,
  ) {
    channel?.onMessage((message) => this.onMessage(message));
    if (channel && options.shard.index === 1) answerPings(channel);
  }

  /** Puts the engine clock on the wall-clock timeline and, for more than one shard, connects the control channel. */
  static async open(options: CoordinatorOptions): Promise<ShardCoordinator> {
    useWallClockBase();
    const { shard } = options;
    const channel =
      shard.count > 1
        ? await ControlChannel.open({
            url: options.url,
            ...(options.connectOptions ? { connectOptions: options.connectOptions } : {}),
            root: options.controlRoot,
            clientId: options.clientId,
            shard: shard.index,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        : undefined;
    return new ShardCoordinator(options, channel);
  }

  async awaitStart(signal?: AbortSignal): Promise<number> {
    const { shard, startAtMs } = this.options;
    const connectedUs = nowUs();
    let startUs: number;
    if (this.channel) {
      const barrier = await startBarrier(this.channel, {
        count: shard.count,
        timeoutMs: this.options.barrierTimeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      });
      const lastReadyUs = Math.max(...barrier.readyUs);
      startUs = startAtMs !== undefined ? wallMsToClockUs(startAtMs) : lastReadyUs + START_MARGIN_MS * 1000;
      if (startAtMs !== undefined && startUs < nowUs())
        throw new Error(
          `--start-at ${new Date(startAtMs).toISOString()} passed ${Math.round((nowUs() - startUs) / 1000)} ms before every shard was ready (the last one at ${isoOf(lastReadyUs)}): choose a later time, or leave --start-at out to start ${START_MARGIN_MS} ms after the last shard is ready`,
        );
      // The offset is measured while waiting for the start; a late answer is still taken afterwards.
      if (shard.index !== 1)
        void measureOffset(this.channel).then((offset) => {
          this.clock = offset;
        });
    } else {
      startUs = startAtMs !== undefined ? wallMsToClockUs(startAtMs) : nowUs();
      if (startUs < nowUs() - LATE_START_WARNING_MS * 1000)
        throw new Error(`--start-at ${new Date(startAtMs ?? 0).toISOString()} has passed: choose a later time`);
    }
    this.options.onStartKnown?.(isoOf(startUs), Math.round((startUs - nowUs()) / 1000));
    await sleepUntil(startUs, signal);
    const lateMs = Math.max(0, Math.round((nowUs() - startUs) / 100) / 10);
    if (lateMs > LATE_START_WARNING_MS)
      this.errors.push(`shard ${shard.index}/${shard.count} began sending ${lateMs} ms after the common start`);
    this.started = { startUs, waitedMs: Math.round((nowUs() - connectedUs) / 1000), lateMs };
    return startUs;
  }

  reportSent(confirmed: number): void {
    this.doneBy.set(this.options.shard.index, confirmed);
    this.channel?.send({ kind: 'done', confirmed });
  }

  othersConfirmed(): number | null {
    const { index, count } = this.options.shard;
    let total = 0;
    for (let shard = 1; shard <= count; shard++) {
      if (shard === index) continue;
      const confirmed = this.doneBy.get(shard);
      if (confirmed === undefined) return null;
      total += confirmed;
    }
    return total;
  }

  report(): ShardSyncReport {
    const { shard, startAtMs } = this.options;
    const errors = [...this.errors, ...(this.channel?.errors ?? [])];
    if (shard.count > 1 && shard.index !== 1 && !this.clock)
      errors.push(`shard ${shard.index}/${shard.count}: no clock comparison with shard 1 (no pong came back)`);
    const startUs = this.started?.startUs ?? 0;
    return {
      startMode: startAtMs !== undefined ? 'start-at' : shard.count > 1 ? 'barrier' : 'single',
      startUs,
      startAt: isoOf(startUs),
      waitedMs: this.started?.waitedMs ?? 0,
      lateMs: this.started?.lateMs ?? 0,
      clock: this.clock,
      lostShards: [...this.lost].sort((a, b) => a - b),
      errors,
    };
  }

  async close(): Promise<void> {
    await this.channel?.close();
  }

  private onMessage(message: ControlMessage): void {
    const { count } = this.options.shard;
    if (message.from === this.options.shard.index || message.from < 1 || message.from > count) return;
    if (message.kind === 'done' && typeof message.confirmed === 'number')
      this.doneBy.set(message.from, message.confirmed);
    if (message.kind === 'gone' && !this.lost.has(message.from)) {
      this.lost.add(message.from);
      this.errors.push(
        `shard ${message.from}/${count} left the run ${Math.round((Date.now() - this.createdMs) / 1000)} s after this shard started (its control connection dropped: killed, crashed or cut off)`,
      );
    }
  }
}

function isoOf(clockUs: number): string {
  return new Date(WALL_EPOCH_MS + clockUs / 1000).toISOString();
}

/** Resolves once the engine clock reached `atUs` (a timer can fire a little early: it is set again for the rest). */
function sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const wait = (): void => {
      const remainingUs = atUs - nowUs();
      if (remainingUs <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(wait, Math.ceil(remainingUs / 1000));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    wait();
  });
}
