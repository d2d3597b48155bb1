// @ts-check
// Removes everything a test run left behind: child processes recorded in its pid folder,
// containers and networks carrying its run-id label, and its temp folder. Plain JavaScript so
// that the watchdog (a separate `node` process) can run it without a TypeScript loader.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { readProcStat } from '../proc-stat.mjs';

export const LABEL_RUN_ID = 'io.mqtt-testbench.run-id';
export const DOCKER_MARKER = 'docker-used';

/** Folder of a run's test worker processes (helpers/vitest/worker-setup.ts records them). */
export const WORKERS_DIR = 'workers';

/**
 * Temp folders of the run's owner process that it removes itself on a normal exit (vitest's
 * per-project transform caches), recorded so that the reaper removes them when the owner died:
 * vitest exits at once on SIGINT and leaves them.
 */
export const OWNER_TEMP_DIRS = 'owner-temp-dirs.json';

/**
 * @param {{ runDir: string, runId: string }} run
 * @param {{ killWorkers?: boolean, keepDir?: boolean, ownerGone?: boolean }} [options] killWorkers: first
 *   SIGKILL the run's test workers (only once the run's owner is gone: a worker that outlives it
 *   would go on starting brokers); keepDir: leave the run folder for a later pass; ownerGone: the
 *   owner died without its own cleanup, so also remove the temp folders it recorded.
 * @returns {Promise<{ processes: number, containers: number, networks: number, errors: string[] }>}
 */
export async function reapRun(run, options = {}) {
  const result = { processes: 0, containers: 0, networks: 0, errors: /** @type {string[]} */ ([]) };
  if (options.killWorkers) result.processes += killRecordedProcesses(run.runDir, WORKERS_DIR, result.errors);
  result.processes += killRecordedProcesses(run.runDir, 'pids', result.errors);
  if (existsSync(join(run.runDir, DOCKER_MARKER))) {
    await removeDockerResources(run.runId, result);
  }
  if (options.ownerGone) removeOwnerTempDirs(run.runDir, result.errors);
  if (!options.keepDir) rmSync(run.runDir, { recursive: true, force: true });
  return result;
}

/**
 * @param {string} runDir
 * @param {string[]} errors
 */
function removeOwnerTempDirs(runDir, errors) {
  const file = join(runDir, OWNER_TEMP_DIRS);
  if (!existsSync(file)) return;
  const tempRoot = resolve(tmpdir()) + sep;
  try {
    for (const dir of /** @type {string[]} */ (JSON.parse(readFileSync(file, 'utf8')))) {
      // Only ever below the temp root: the file is ours, but a reaper must not be able to remove more.
      if (resolve(dir).startsWith(tempRoot)) rmSync(dir, { recursive: true, force: true });
      else errors.push(`${OWNER_TEMP_DIRS}: ${dir} is outside ${tempRoot}, left alone`);
    }
  } catch (error) {
    errors.push(`${OWNER_TEMP_DIRS}: ${String(error)}`);
  }
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
      if (record.startTicks && readProcStat(record.pid)?.startTicks !== record.startTicks) continue;
      // A process recorded with `group` leads a process group (a start script and its VM): kill it all.
      const target = record.group ? -record.pid : record.pid;
      process.kill(target, 'SIGCONT');
      process.kill(target, 'SIGKILL');
      killed += 1;
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if (code !== 'ESRCH') errors.push(`pid file ${file}: ${String(error)}`);
    }
  }
  return killed;
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
      if (!/No such container|is already in progress/.test(String(error)))
        result.errors.push(`container ${info.Id.slice(0, 12)}: ${String(error)}`);
    }
  }
  const networks = await docker.listNetworks({ filters });
  for (const info of networks) {
    try {
      await docker.getNetwork(info.Id).remove();
      result.networks += 1;
    } catch (error) {
      if (!/No such network|not found/.test(String(error)))
        result.errors.push(`network ${info.Name}: ${String(error)}`);
    }
  }
}
