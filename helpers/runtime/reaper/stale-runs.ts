import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNS_ROOT } from '../run-context.js';
import { reapRun } from './reap.mjs';

/**
 * Reaps the leftovers of earlier runs whose owning process is gone (a run killed so hard that even
 * its watchdog died). Runs whose owner is alive belong to somebody else and are left alone.
 */
export async function sweepStaleRuns(): Promise<number> {
  if (!existsSync(RUNS_ROOT)) return 0;
  let reaped = 0;
  for (const runId of readdirSync(RUNS_ROOT)) {
    const runDir = join(RUNS_ROOT, runId);
    const ownerPid = readOwnerPid(runDir);
    if (ownerPid !== undefined && isAlive(ownerPid)) continue;
    await reapRun({ runDir, runId }, { ownerGone: true });
    reaped += 1;
  }
  return reaped;
}

function readOwnerPid(runDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDir, 'owner.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined; // no owner file: a run folder from a process that was not a test run owner
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
