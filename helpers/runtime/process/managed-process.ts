import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTicks } from '../proc.js';
import { ReadinessError } from '../readiness-error.js';
import { currentResourceScope, runContext } from '../run-context.js';
import { LogBuffer } from './log-buffer.js';

export interface ProcessSpec {
  /** Label for logs and errors. */
  label: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user, e.g. the service user a package's start script expects (needs root). */
  user?: { uid: number; gid: number };
  /**
   * The process leads a process group of its own, and kill, pause and resume signal the whole
   * group: for launchers whose server is a child of theirs (a start script that runs an Erlang VM),
   * which a signal to the launcher alone would not reach. A graceful stop still sends SIGTERM to the
   * launcher only, which stops its children itself; whatever of the group is left then is killed.
   */
  processGroup?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const TERMINATE_GRACE_MS = 5_000;

/**
 * A child process the harness owns: its output is kept in a ring buffer, its pid is recorded in
 * the run's pid folder (so the reaper can kill it if this process dies), and it can be waited on,
 * signalled, paused and terminated.
 */
export class ManagedProcess {
  readonly logs = new LogBuffer();
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private pidFile: string | undefined;

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  get exited(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** Resolves when the current child exits. */
  waitForExit(): Promise<ExitInfo> {
    return this.exitPromise;
  }

  /** Spawns the process. Rejects if the binary cannot be started (ENOENT, EACCES). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.spec.label} is already running (pid ${this.pid}).`);
    this.exitInfo = undefined;
    const child = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env ?? process.env,
      cwd: this.spec.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.spec.processGroup === true,
      ...(this.spec.user ? { uid: this.spec.user.uid, gid: this.spec.user.gid } : {}),
    });
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.logs.push(chunk));
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.logs.flush();
        this.exitInfo = { code, signal };
        this.removePidFile();
        resolve(this.exitInfo);
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        reject(new Error(`${this.spec.label}: cannot start ${this.spec.command}: ${error.message}`, { cause: error }));
      });
    });
    this.writePidFile();
  }

  /**
   * Waits until a log line matches `pattern`, looking at lines from `fromLine` on (default: from the
   * current start). Fails with a ReadinessError on timeout or when the process exits first.
   */
  async waitForLogLine(pattern: RegExp, timeoutMs: number, fromLine = 0): Promise<string> {
    const started = Date.now();
    const already = this.logs.linesSince(fromLine).find((line) => pattern.test(line));
    if (already !== undefined) return already;
    return new Promise<string>((resolve, reject) => {
      const fail = (why: string) => {
        cleanup();
        reject(
          new ReadinessError(
            this.spec.label,
            `log line ${String(pattern)}`,
            Date.now() - started,
            this.logs.tail(),
            new Error(why),
          ),
        );
      };
      const unsubscribe = this.logs.onLine((line) => {
        if (pattern.test(line)) {
          cleanup();
          resolve(line);
        }
      });
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      const onExit = (info: ExitInfo) => fail(`process exited first with ${describeExit(info)}`);
      void this.exitPromise.then(onExit);
      const cleanup = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      if (this.exitInfo) onExit(this.exitInfo);
    });
  }

  /** Signals the process, or its whole group when it leads one. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.signalAll(signal);
  }

  /** SIGKILL (to the whole group when it leads one), then waits for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signalAll('SIGKILL');
    await this.exitPromise;
  }

  /** SIGTERM, then SIGKILL after a grace period; resumes a paused process (group) first. */
  async terminate(graceMs = TERMINATE_GRACE_MS): Promise<ExitInfo | undefined> {
    if (!this.running) return this.exitInfo;
    this.signalAll('SIGCONT');
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.signalAll('SIGKILL'), graceMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
      // A child of the launcher that outlived it (the launcher was killed first) goes too.
      if (this.spec.processGroup) this.signalGroup(this.child?.pid, 'SIGKILL');
    }
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  private signalAll(signal: NodeJS.Signals): void {
    if (this.spec.processGroup) this.signalGroup(this.child?.pid, signal);
    else this.child?.kill(signal);
  }

  private signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (error) {
      // The group is gone: nothing left to signal.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  private writePidFile(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    this.pidFile = join(runContext().runDir, 'pids', `${pid}.json`);
    const scope = currentResourceScope();
    writeFileSync(
      this.pidFile,
      JSON.stringify({
        pid,
        startTicks: processStartTicks(pid),
        label: this.spec.label,
        command: this.spec.command,
        ...(scope === undefined ? {} : { scope }),
        // The reaper then kills the group this process leads, not only the launcher.
        ...(this.spec.processGroup ? { group: true } : {}),
      }),
    );
  }

  private removePidFile(): void {
    if (this.pidFile) rmSync(this.pidFile, { force: true });
    this.pidFile = undefined;
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}
