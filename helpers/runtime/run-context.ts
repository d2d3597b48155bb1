import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Identity of one test run. Everything a run creates (client ids, topics, temp files, container
 * labels, pid files) carries the run id, so two runs on one machine never touch each other's state
 * and the reaper can find every leftover of a run that died.
 */
export interface RunContext {
  runId: string;
  /** Temp folder of this run: config files, pid files, broker data. Removed at the end of the run. */
  runDir: string;
  /** Pid of the process that owns the run (the vitest main process). */
  ownerPid: number;
}

export const RUNS_ROOT = join(tmpdir(), 'mqtt-testbench');
export const RUN_ID_ENV = 'MQTT_TESTBENCH_RUN_ID';
export const RUN_DIR_ENV = 'MQTT_TESTBENCH_RUN_DIR';
export const RUN_OWNER_ENV = 'MQTT_TESTBENCH_RUN_OWNER_PID';

/** Docker labels put on every container and network of a run. */
export const LABEL_RUN_ID = 'io.mqtt-testbench.run-id';
export const LABEL_OWNER_PID = 'io.mqtt-testbench.owner-pid';
export const LABEL_OWNER_HOST = 'io.mqtt-testbench.owner-host';
/** Docker label naming the resource scope a container or network was created in (see `inResourceScope`). */
export const LABEL_SCOPE = 'io.mqtt-testbench.scope';

/** `<yyyymmdd-hhmmss>-<6 hex>`: sorts by time, unique across concurrent runs. */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A new run: uses the run id fixed by the vitest config when there is one. */
export function newRunContext(runId = newRunId()): RunContext {
  const runDir = join(RUNS_ROOT, runId);
  mkdirSync(join(runDir, 'pids'), { recursive: true });
  // The stale-run sweeper leaves a run alone while this pid lives.
  writeFileSync(join(runDir, 'owner.json'), JSON.stringify({ pid: process.pid }));
  return { runId, runDir, ownerPid: process.pid };
}

let current: RunContext | undefined;

/**
 * The run this process belongs to. Test workers inherit it from the environment that the global
 * setup exported; a process started outside a run (a unit test, the CLI) gets a fresh one.
 */
export function runContext(): RunContext {
  if (current) return current;
  const runId = process.env[RUN_ID_ENV];
  const runDir = process.env[RUN_DIR_ENV];
  const owner = Number(process.env[RUN_OWNER_ENV]);
  if (runId && runDir && Number.isInteger(owner)) {
    mkdirSync(join(runDir, 'pids'), { recursive: true });
    current = { runId, runDir, ownerPid: owner };
  } else {
    current = newRunContext();
    exportRunContext(current);
  }
  return current;
}

export function exportRunContext(ctx: RunContext): void {
  current = ctx;
  process.env[RUN_ID_ENV] = ctx.runId;
  process.env[RUN_DIR_ENV] = ctx.runDir;
  process.env[RUN_OWNER_ENV] = String(ctx.ownerPid);
}

let sequence = 0;

/** A name unique within the run, for client ids, topics and files: `<prefix>-<n>-<random>`. */
export function uniqueName(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}-${randomBytes(2).toString('hex')}`;
}

/** Short form of the run id for MQTT client ids (3.1.1 brokers may cap ids at 23 characters). */
export function shortRunId(): string {
  return runContext().runId.slice(-6);
}

const resourceScope = new AsyncLocalStorage<string>();

/**
 * Runs `start` with every container, network and process it creates tagged with `scope`, so a test
 * can prove that what it started is gone while other test files of the run start and stop their own.
 */
export function inResourceScope<T>(scope: string, start: () => Promise<T>): Promise<T> {
  return resourceScope.run(scope, start);
}

/** The scope set by the innermost `inResourceScope` around this call, if any. */
export function currentResourceScope(): string | undefined {
  return resourceScope.getStore();
}
