/**
 * Live progress of long scenarios, for the load engine:
 *
 *   const progress = createProgress();
 *   progress.update({ label: 'heavy QoS 1 via reference', sent, received, elapsedMs, totalExpected });
 *   ...
 *   progress.done();
 *
 * Inside a vitest run the updates go to the testbench reporter in the main process (over a local
 * socket whose path the reporter exports as MQTT_TESTBENCH_PROGRESS_SOCKET), because a test
 * worker's stdout/stderr are pipes: it cannot know whether a person watches a terminal, and a
 * line it redraws would fight vitest's own live summary. The reporter shows the progress inside
 * vitest's summary on a terminal, or as plain periodic lines in CI logs.
 *
 * Outside vitest (a script, the CLI) the reporter writes itself to stderr: one line redrawn in
 * place on a terminal, one plain line every MQTT_TESTBENCH_PROGRESS_INTERVAL_MS otherwise.
 * MQTT_TESTBENCH_PROGRESS=off silences both.
 */
import { connect, type Socket } from 'node:net';
import { count, duration, rate } from '../stats/format.js';
import { readProgressSettings } from './progress-settings.js';

export const PROGRESS_SOCKET_ENV = 'MQTT_TESTBENCH_PROGRESS_SOCKET';

export interface ProgressUpdate {
  /** What is running, e.g. `heavy QoS 1 pass via mosquitto>mosquitto via reference`. */
  label: string;
  /** Publishes confirmed so far. */
  sent: number;
  /** Distinct messages received so far. */
  received: number;
  /** Current receive rate; computed from successive updates when omitted. */
  ratePerSec?: number;
  /** Time since the scenario started sending. */
  elapsedMs: number;
  /** Messages the scenario will send in total (count-based workloads). */
  totalExpected?: number;
  /** Planned length of the scenario (duration-based workloads). */
  plannedDurationMs?: number;
  /** Time since anything was last confirmed or received: a stalled run says so instead of estimating. */
  idleMs?: number;
}

/** Idle this long, the line says "no progress" instead of a time left. */
const STALLED_AFTER_MS = 2_000;
/** An estimate beyond this many times the elapsed time says nothing: the line gives none. */
const MAX_ESTIMATE_FACTOR = 100;

export interface ProgressReporter {
  update(update: ProgressUpdate): void;
  /** The scenario ended: the line is cleared (terminal) or a final line printed (plain, if any line was). */
  done(): void;
}

/** The wire form between a worker and the reporter (one JSON object per line). */
export type ProgressMessage = ({ type: 'update' } & ProgressUpdate & { id: string }) | { type: 'done'; id: string };

let sequence = 0;

export interface CreateProgressOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the local renderer writes (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createProgress(options: CreateProgressOptions = {}): ProgressReporter {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const read = readProgressSettings(env, problems);
  // The reporter reports bad settings; progress lines fall back to plain ones.
  const settings = problems.length === 0 ? read : { progress: 'plain' as const, progressIntervalMs: 10_000 };
  if (settings.progress === 'off') return { update: () => undefined, done: () => undefined };
  const socketPath = env[PROGRESS_SOCKET_ENV];
  sequence += 1;
  const id = `${process.pid}-${sequence}`;
  if (socketPath) return new SocketProgress(socketPath, id);
  const stream = options.stream ?? process.stderr;
  const tty = settings.progress === 'tty' || (settings.progress === 'auto' && Boolean(stream.isTTY));
  return new LocalProgress(stream, tty, settings.progressIntervalMs);
}

/** Tracks the rate between updates when the caller gives none. */
export class RateTracker {
  private last?: { at: number; received: number };
  private rate = 0;

  observe(update: ProgressUpdate): number {
    if (update.ratePerSec !== undefined) return update.ratePerSec;
    if (this.last && update.elapsedMs > this.last.at) {
      const instant = ((update.received - this.last.received) * 1000) / (update.elapsedMs - this.last.at);
      // Smooth over a few updates so the line does not flicker.
      this.rate = this.rate === 0 ? instant : 0.6 * this.rate + 0.4 * instant;
    } else if (update.elapsedMs > 0) {
      this.rate = (update.received * 1000) / update.elapsedMs;
    }
    this.last = { at: update.elapsedMs, received: update.received };
    return this.rate;
  }
}

/** `heavy QoS 1: sent 4,210/10,000 · received 4,198 · 1,012 msg/s · 4.2 s elapsed · ~5.7 s left`. */
export function formatProgress(update: ProgressUpdate, ratePerSec: number, final = false): string {
  const parts = [
    `sent ${count(update.sent)}${update.totalExpected ? `/${count(update.totalExpected)}` : ''}`,
    `received ${count(update.received)}`,
    `${rate(ratePerSec)} msg/s`,
    `${duration(update.elapsedMs)} elapsed`,
  ];
  let leftMs: number | undefined;
  const stalled = !final && (update.idleMs ?? 0) >= STALLED_AFTER_MS;
  if (final || stalled) leftMs = undefined;
  else if (update.plannedDurationMs !== undefined) leftMs = Math.max(0, update.plannedDurationMs - update.elapsedMs);
  else if (update.totalExpected && ratePerSec > 0)
    leftMs = (Math.max(0, update.totalExpected - update.received) * 1000) / ratePerSec;
  if (stalled) parts.push(`no progress for ${duration(update.idleMs ?? 0)}`);
  else if (leftMs !== undefined && leftMs <= Math.max(update.elapsedMs, 1_000) * MAX_ESTIMATE_FACTOR)
    parts.push(`~${duration(leftMs)} left`);
  if (update.totalExpected)
    parts.push(`${Math.min(100, Math.floor((100 * update.received) / update.totalExpected))} %`);
  return `${update.label}: ${parts.join(' · ')}`;
}

/** Sends updates to the reporter, at most every 500 ms; nothing is lost but intermediate states. */
class SocketProgress implements ProgressReporter {
  private socket: Socket | undefined;
  private lastSentAt = 0;
  private pending: ProgressUpdate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private broken = false;

  constructor(
    private readonly path: string,
    private readonly id: string,
  ) {}

  update(update: ProgressUpdate): void {
    if (this.broken) return;
    const now = Date.now();
    if (now - this.lastSentAt >= 500) {
      this.send({ type: 'update', id: this.id, ...update });
      this.lastSentAt = now;
      return;
    }
    this.pending = update;
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        if (this.pending) this.update(this.pending);
        this.pending = undefined;
      },
      500 - (now - this.lastSentAt),
    ).unref();
  }

  done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    if (!this.broken) this.send({ type: 'done', id: this.id });
    this.socket?.end();
    this.socket = undefined;
  }

  private send(message: ProgressMessage): void {
    if (!this.socket) {
      this.socket = connect(this.path);
      this.socket.unref();
      // Progress is a courtesy: a reporter that went away must never fail a measurement.
      this.socket.on('error', () => {
        this.broken = true;
      });
    }
    this.socket.write(`${JSON.stringify(message)}\n`);
  }
}

/** Renders in this process: a line redrawn in place on a terminal, or periodic plain lines. */
class LocalProgress implements ProgressReporter {
  private readonly rates = new RateTracker();
  private lastWriteAt = 0;
  private lastUpdate: ProgressUpdate | undefined;
  private printedPlain = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly intervalMs: number,
  ) {}

  update(update: ProgressUpdate): void {
    const ratePerSec = this.rates.observe(update);
    this.lastUpdate = { ...update, ratePerSec };
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastWriteAt < 200) return;
      const columns = (this.stream as { columns?: number }).columns ?? 120;
      this.stream.write(`\r\x1b[2K${formatProgress(update, ratePerSec).slice(0, columns - 1)}`);
      this.lastWriteAt = now;
      return;
    }
    if (update.elapsedMs < this.intervalMs || now - this.lastWriteAt < this.intervalMs) return;
    this.stream.write(`[progress] ${formatProgress(update, ratePerSec)}\n`);
    this.lastWriteAt = now;
    this.printedPlain = true;
  }

  done(): void {
    if (this.tty) {
      if (this.lastWriteAt > 0) this.stream.write('\r\x1b[2K');
    } else if (this.printedPlain && this.lastUpdate) {
      this.stream.write(`[progress] done: ${formatProgress(this.lastUpdate, this.lastUpdate.ratePerSec ?? 0, true)}\n`);
    }
    this.lastWriteAt = 0;
  }
}
