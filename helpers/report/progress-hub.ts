/**
 * The main-process end of live progress: a local socket the test workers' ProgressReporters send
 * to (see progress.ts), and the rendering. On a terminal the running scenarios appear as extra
 * lines at the bottom of vitest's own live summary (which redraws every second); without a
 * terminal (CI logs) one plain line per running scenario every interval.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatProgress, RateTracker, type ProgressMessage, type ProgressUpdate } from '../load/progress.js';

interface Active {
  update: ProgressUpdate;
  rate: RateTracker;
  ratePerSec: number;
  firstSeenAt: number;
  lastPrintedAt: number;
  printed: boolean;
  /** A new update arrived since the last plain line (a repeated identical line is noise). */
  fresh: boolean;
}

export type HubMode = 'window' | 'plain';

export class ProgressHub {
  private readonly active = new Map<string, Active>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private timer: NodeJS.Timeout | undefined;
  readonly socketPath: string;

  constructor(
    private mode: HubMode,
    private readonly intervalMs: number,
    private readonly write: (line: string) => void,
    socketPath = join(tmpdir(), `mqtt-testbench-progress-${process.pid}.sock`),
  ) {
    this.socketPath = socketPath;
  }

  async start(): Promise<void> {
    sweepStaleSockets(dirname(this.socketPath));
    rmSync(this.socketPath, { force: true });
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          this.receive(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
      });
      socket.on('error', () => undefined); // a worker that died mid-line is not the run's problem
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    server.unref();
    this.server = server;
    if (this.mode === 'plain') this.startPlainTimer();
  }

  /** Switches to plain lines (e.g. when vitest's live summary is not there to host the lines). */
  setMode(mode: HubMode): void {
    this.mode = mode;
    if (mode === 'plain') this.startPlainTimer();
    else if (this.timer) clearInterval(this.timer);
  }

  /** The lines to show in a live window: one per running scenario. */
  windowLines(): string[] {
    return [...this.active.values()].map((a) => `  ⏱ ${formatProgress(a.update, a.ratePerSec)}`);
  }

  receive(line: string): void {
    let message: ProgressMessage;
    try {
      message = JSON.parse(line) as ProgressMessage;
    } catch {
      return;
    }
    if (message.type === 'done') {
      const done = this.active.get(message.id);
      if (done?.printed && this.mode === 'plain')
        this.write(`[progress] done: ${formatProgress(done.update, done.ratePerSec, true)}`);
      this.active.delete(message.id);
      return;
    }
    const { type: _type, id, ...update } = message;
    const now = Date.now();
    const entry = this.active.get(id) ?? {
      update,
      rate: new RateTracker(),
      ratePerSec: 0,
      firstSeenAt: now,
      lastPrintedAt: now,
      printed: false,
      fresh: true,
    };
    entry.update = update;
    entry.fresh = true;
    entry.ratePerSec = entry.rate.observe(update);
    this.active.set(id, entry);
  }

  /** Prints a plain line for every scenario that moved on and has run for at least one interval since its last line. */
  tick(now = Date.now()): void {
    for (const entry of this.active.values()) {
      if (entry.fresh && now - entry.lastPrintedAt >= this.intervalMs) {
        this.write(`[progress] ${formatProgress(entry.update, entry.ratePerSec)}`);
        entry.lastPrintedAt = now;
        entry.printed = true;
        entry.fresh = false;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
    this.active.clear();
  }

  private startPlainTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.min(1000, this.intervalMs)).unref();
  }
}

/** Removes the sockets of runs whose process is gone (a killed vitest cannot remove its own). */
function sweepStaleSockets(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = /^mqtt-testbench-progress-(\d+)\.sock$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      // ESRCH: no such process; EPERM means it lives (another user's run).
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(folder, name), { force: true });
    }
  }
}
