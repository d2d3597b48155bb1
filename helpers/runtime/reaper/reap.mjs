// @ts-check
// Removes everything a test run left behind: child processes recorded in its pid folder,
// containers and networks carrying its run-id label, and its temp folder. Plain JavaScript so
// that the watchdog (a separate `node` process) can run it without a TypeScript loader.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const LABEL_RUN_ID = 'io.mqtt-testbench.run-id';
export const DOCKER_MARKER = 'docker-used';

/** Folder of a run's test worker processes (helpers/vitest/worker-setup.ts records them). */
export const WORKERS_DIR = 'workers';

/**
 * @param {{ runDir: string, runId: string }} run
 * @param {{ killWorkers?: boolean, keepDir?: boolean }} [options] killWorkers: first SIGKILL the
 *   run's test workers (only once the run's owner is gone: a worker that outlives it would go on
 *   starting brokers); keepDir: leave the run folder for a later pass.
 * @returns {Promise<{ processes: number, containers: number, networks: number, errors: string[] }>}
 */
export async function reapRun(run, options = {}) {
  const result = { processes: 0, containers: 0, networks: 0, errors: /** @type {string[]} */ ([]) };
  if (options.killWorkers) result.processes += killRecordedProcesses(run.runDir, WORKERS_DIR, result.errors);
  result.processes += killRecordedProcesses(run.runDir, 'pids', result.errors);
  if (existsSync(join(run.runDir, DOCKER_MARKER))) {
    await removeDockerResources(run.runId, result);
  }
  if (!options.keepDir) rmSync(run.runDir, { recursive: true, force: true });
  return result;
}

/**
 * @param {string} runDir
 * @param {string} folder
 * @param {string[]} errors
 */
function killRecordedProcesses(runDir, folder, errors) {
  const pidDir = join(runDir, folder);
  if (!existsSync(pidDir)) return 0;
  let killed = 0;
  for (const file of readdirSync(pidDir)) {
    try {
      const record = JSON.parse(readFileSync(join(pidDir, file), 'utf8'));
      // A recycled pid belongs to somebody else: only kill when the start time still matches.
      if (record.startTicks && startTicks(record.pid) !== record.startTicks) continue;
      process.kill(record.pid, 'SIGCONT');
      process.kill(record.pid, 'SIGKILL');
      killed += 1;
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if (code !== 'ESRCH') errors.push(`pid file ${file}: ${String(error)}`);
    }
  }
  return killed;
}

/** @param {number} pid */
function startTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined; // gone, or not Linux
  }
}

/**
 * @param {string} runId
 * @param {{ containers: number, networks: number, errors: string[] }} result
 */
async function removeDockerResources(runId, result) {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const filters = JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  for (const info of containers) {
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      result.containers += 1;
    } catch (error) {
      if (!/No such container|is already in progress/.test(String(error))) result.errors.push(`container ${info.Id.slice(0, 12)}: ${String(error)}`);
    }
  }
  const networks = await docker.listNetworks({ filters });
  for (const info of networks) {
    try {
      await docker.getNetwork(info.Id).remove();
      result.networks += 1;
    } catch (error) {
      if (!/No such network|not found/.test(String(error))) result.errors.push(`network ${info.Name}: ${String(error)}`);
    }
  }
}
