import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dockerClient } from '../runtime/container/docker.js';
import { LABEL_RUN_ID, runContext } from '../runtime/run-context.js';
import { DOCKER_MARKER } from '../runtime/reaper/reap.mjs';

export interface RunResources {
  containers: string[];
  networks: string[];
  /** Live child processes recorded in the run's pid folder. */
  processes: number[];
}

/** What of this run exists right now: used to prove that a disposed component is really gone. */
export async function runResources(): Promise<RunResources> {
  const ctx = runContext();
  const pidDir = join(ctx.runDir, 'pids');
  const processes = existsSync(pidDir)
    ? readdirSync(pidDir)
        .map((f) => Number(f.replace(/\.json$/, '')))
        .filter((pid) => isAlive(pid))
    : [];
  if (!existsSync(join(ctx.runDir, DOCKER_MARKER))) return { containers: [], networks: [], processes };
  const docker = (await dockerClient()).container.dockerode;
  const filters = JSON.stringify({ label: [`${LABEL_RUN_ID}=${ctx.runId}`] });
  const containers = (await docker.listContainers({ all: true, filters })).map((c) => c.Id);
  const networks = (await docker.listNetworks({ filters })).map((n) => n.Name);
  return { containers, networks, processes };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: the process is gone
  }
}
