import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RUNS_ROOT } from '../run-context.js';
import { reapRun } from './reap.mjs';

/**
 * A run folder gets its owner file right after it is made; one without it is left alone this long,
 * because it may be a run starting at this very moment (the self-test starts several child runs at
 * once, and two runs in one checkout may start together).
 */
export const OWNERLESS_GRACE_MS = 60_000;

/**
 * Reaps the leftovers of earlier runs whose owning process is gone (a run killed so hard that even
 * its watchdog died). Runs whose owner is alive belong to somebody else and are left alone.
 */
export async function sweepStaleRuns(root = RUNS_ROOT): Promise<number> {
  if (!existsSync(root)) return 0;
  let reaped = 0;
  for (const runId of readdirSync(root)) {
    const runDir = join(root, runId);
    const ownerPid = readOwnerPid(runDir);
    if (ownerPid !== undefined && isAlive(ownerPid)) continue;
    if (ownerPid === undefined && isYoung(runDir)) continue;
    await reapRun({ runDir, runId }, { ownerGone: true });
    reaped += 1;
  }
  return reaped;
}

function readOwnerPid(runDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'owner.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined; // no owner file: a run still starting, or a folder from a process that was not a test run owner
  }
}

function isYoung(runDir: string): boolean {
  try {
    return Date.now() - statSync(runDir).mtimeMs < OWNERLESS_GRACE_MS;
  } catch {
    return false; // gone already
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
