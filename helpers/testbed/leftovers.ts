import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerClient } from '../runtime/container/docker.js';
import { LABEL_RUN_ID, LABEL_SCOPE, runContext } from '../runtime/run-context.js';
import { DOCKER_MARKER } from '../runtime/reaper/reap.mjs';

export interface RunResources {
  containers: string[];
  networks: string[];
  /** Live child processes recorded in the run's pid folder. */
  processes: number[];
}

/**
 * What of this run exists right now, sorted: used to prove that a disposed component is really gone.
 * With `scope`, only what was created inside `inResourceScope(scope, …)`: test files run side by
 * side, so the run as a whole gains and loses resources while one test looks.
 */
export async function runResources(scope?: string): Promise<RunResources> {
  const ctx = runContext();
  const pidDir = join(ctx.runDir, 'pids');
  const processes = existsSync(pidDir)
    ? readdirSync(pidDir)
        .filter((file) => scope === undefined || pidFileScope(join(pidDir, file)) === scope)
        .map((f) => Number(f.replace(/\.json$/, '')))
        .filter((pid) => isAlive(pid))
        .sort((a, b) => a - b)
    : [];
  if (!existsSync(join(ctx.runDir, DOCKER_MARKER))) return { containers: [], networks: [], processes };
  const docker = (await dockerClient()).container.dockerode;
  const labels = [`${LABEL_RUN_ID}=${ctx.runId}`, ...(scope === undefined ? [] : [`${LABEL_SCOPE}=${scope}`])];
  const filters = JSON.stringify({ label: labels });
  const containers = (await docker.listContainers({ all: true, filters })).map((c) => c.Id).sort();
  const networks = (await docker.listNetworks({ filters })).map((n) => n.Name).sort();
  return { containers, networks, processes };
}

function pidFileScope(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { scope?: string }).scope;
  } catch {
    return undefined; // removed between listing and reading: the process is gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: the process is gone
  }
}
