import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerClient } from '../../runtime/container/docker.js';
import { readProcStat } from '../../runtime/proc.js';
import { OWNER_TEMP_DIRS, WORKERS_DIR } from '../../runtime/reaper/reap.mjs';
import { LABEL_RUN_ID, RUN_DIR_ENV, RUN_ID_ENV, RUN_OWNER_ENV, RUNS_ROOT } from '../../runtime/run-context.js';

/** The repository root: child runs start there, as `npm test` does. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VITEST = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
/** The small-run config of this folder (the real global and worker setup, the fixtures only). */
export const CHILD_RUN_CONFIG = 'helpers/vitest/testing/child-run.config.ts';
const POLL_MS = 50;
const OUTPUT_LIMIT = 200_000;
// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

/**
 * The environment of a child run: this process's settings (runtime, images, targets), but not
 * this run's identity, which the test workers inherit and which would make the child adopt it.
 */
export function childEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    RUN_ID_ENV,
    RUN_DIR_ENV,
    RUN_OWNER_ENV,
    'VITEST',
    'VITEST_MODE',
    'VITEST_POOL_ID',
    'VITEST_WORKER_ID',
    'TEST',
    'NODE_ENV',
  ])
    delete env[name];
  return { ...env, ...overrides };
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A `vitest run` in a child process of its own (own process group), with its output kept. */
export class ChildRun {
  readonly process: ChildProcess;
  readonly exited: Promise<ChildExit>;
  private text = '';
  private exitInfo: ChildExit | undefined;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.process = spawn(process.execPath, [VITEST, 'run', ...args], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      // Colours stripped: vitest colours its output even into a pipe when the parent forces colour.
      this.text = (this.text + chunk.toString().replace(ANSI_ESCAPE, '')).slice(-OUTPUT_LIMIT);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error('the child vitest run did not start');
    return this.process.pid;
  }

  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The run id the child's global setup printed (`mqtt-testbench run <id>`), waited for at most `timeoutMs`. */
  async runId(timeoutMs: number): Promise<string> {
    let id: string | undefined;
    await waitUntil(
      () => (id = /mqtt-testbench run (\S+)/.exec(this.text)?.[1]) !== undefined || !this.running,
      timeoutMs,
      'the child run to print its run id',
      () => this.tail(),
    );
    if (!id)
      throw new Error(
        `the child run exited (${JSON.stringify(this.exitInfo)}) without printing its run id:\n${this.tail()}`,
      );
    return id;
  }

  /** Waits for the exit, at most `timeoutMs`. */
  async exit(timeoutMs: number): Promise<ChildExit> {
    await waitUntil(
      () => !this.running,
      timeoutMs,
      'the child run to exit',
      () => this.tail(),
    );
    return this.exitInfo as ChildExit;
  }

  /** Last lines of the output, for failure messages. */
  tail(lines = 40): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }

  /** Ends the child and its workers for good (their own process group); the run's watchdog then reaps it. */
  destroy(): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `condition` every 50 ms until it holds; fails after `timeoutMs` naming what was awaited. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  context: () => string = () => '',
): Promise<number> {
  const began = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - began;
    if (Date.now() - began >= timeoutMs) {
      const extra = context();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra ? `:\n${extra}` : ''}`);
    }
    await sleep(POLL_MS); // polling interval, the condition is re-checked
  }
}

/** Pids recorded in one of a run's folders (`pids` for brokers and forwarders, `workers` for test workers). */
export function recordedPids(runId: string, folder: 'pids' | typeof WORKERS_DIR): number[] {
  const dir = join(RUNS_ROOT, runId, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((file) => {
    try {
      return [(JSON.parse(readFileSync(join(dir, file), 'utf8')) as { pid: number }).pid];
    } catch {
      return []; // a file being written or removed right now
    }
  });
}

/**
 * Every live process below `pid` (its test workers, their brokers and forwarders, the watchdog),
 * read from /proc: independent of what the harness itself records. Empty where /proc is missing.
 */
export function descendantsOf(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry)); // null: the process ended while /proc was read
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
}

export interface Leftovers {
  containers: string[];
  networks: string[];
  /** Of the given pids, the ones still alive. */
  processes: number[];
  /** The run's temp folder still exists. */
  runDir: boolean;
  /** Of the given temp folders of the run's owner (vitest's), the ones still there. */
  ownerTempDirs: string[];
}

/** The temp folders the run's owner recorded for the reaper (vitest's per-project caches). */
export function recordedOwnerTempDirs(runId: string): string[] {
  const file = join(RUNS_ROOT, runId, OWNER_TEMP_DIRS);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : [];
}

/** What of a (child) run still exists: containers and networks with its run-id label, live pids, its folder. */
export async function leftoversOf(
  runId: string,
  pids: readonly number[],
  ownerTempDirs: readonly string[] = [],
): Promise<Leftovers> {
  let containers: string[] = [];
  let networks: string[] = [];
  try {
    const docker = (await dockerClient()).container.dockerode;
    const filters = JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] });
    containers = (await docker.listContainers({ all: true, filters })).map((c) => `${c.Names.join(',')} (${c.State})`);
    networks = (await docker.listNetworks({ filters })).map((n) => n.Name);
  } catch (error) {
    if (!/Could not find a working container runtime strategy/.test(String(error))) throw error;
  }
  return {
    containers,
    networks,
    processes: pids.filter(isAlive),
    runDir: existsSync(join(RUNS_ROOT, runId)),
    ownerTempDirs: ownerTempDirs.filter((dir) => existsSync(dir)),
  };
}

export const NOTHING_LEFT: Leftovers = {
  containers: [],
  networks: [],
  processes: [],
  runDir: false,
  ownerTempDirs: [],
};
