/**
 * Where mqtt-testbench is installed, and `vitest run` as a child process of it (bench, test,
 * flake): started with this Node and no shell, in the package folder (where vitest.config.ts is),
 * with Ctrl-C and SIGTERM passed on so that vitest cleans up what the run started.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_DIR_ENV, RUN_ID_ENV, RUN_OWNER_ENV } from '../runtime/run-context.js';
import { UsageError } from './args.js';

const PACKAGE_NAME = 'mqtt-testbench';
/** Set by a run for its own processes; a run started from inside another must not adopt them. */
const RUN_IDENTITY = [RUN_ID_ENV, RUN_DIR_ENV, RUN_OWNER_ENV, 'MQTT_TESTBENCH_PROGRESS_SOCKET'];

/** The folder of mqtt-testbench's package.json (the source tree or dist/'s parent). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME)
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${import.meta.url}`);
    dir = parent;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** vitest's entry script in the nearest node_modules from `dir` up. */
export function findVitest(dir: string = packageRoot()): string {
  for (let current = dir; ;) {
    const candidate = join(current, 'node_modules', 'vitest', 'vitest.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(current);
    if (parent === current)
      throw new UsageError(`vitest is not installed under ${dir}: run "npm ci" in the mqtt-testbench folder first.`);
    current = parent;
  }
}

/** `env` without the identity of a run that may have started this process. */
export function freshRunEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of RUN_IDENTITY) delete copy[name];
  return copy;
}

export interface VitestChildOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `inherit` (default): vitest talks to the terminal; `ignore`: only its stderr is shown. */
  stdout?: 'inherit' | 'ignore';
}

/** Runs vitest to its end; resolves with its exit code (128 + signal number when a signal ended it). */
export function runVitest(vitestArgs: readonly string[], options: VitestChildOptions): Promise<number> {
  const child = spawn(process.execPath, [findVitest(), ...vitestArgs], {
    cwd: options.cwd,
    env: options.env,
    stdio: options.stdout === 'ignore' ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal ? 143 : 1)));
  }).finally(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  });
}
