// The program: arguments, config, then run until SIGTERM/SIGINT.

import { VERSION, USAGE, parseArgs } from './args.js';
import type { ConfigError } from './config/errors.js';
import { loadConfig } from './config/load.js';
import { type ForwarderPlan, resolvePlan } from './config/resolve.js';
import { LOG_LEVELS, type LogLevel } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { type RunningForwarder, startForwarder } from './forwarder.js';
import { dirname } from 'node:path';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

export interface Io {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value);

function reportConfigErrors(log: Logger, file: string | null, errors: readonly ConfigError[]): number {
  for (const { path, message } of errors) {
    const where = path === '' ? '' : `${path}: `;
    log.error(`config error: ${where}${message}`, { file, path, error: message });
  }
  log.error(`config has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was started`, { file });
  return EXIT_CONFIG;
}

function summary(file: string, plan: ForwarderPlan, disabled: number): string {
  const clients = plan.clients.map((c) => `${c.name} ${c.host}:${c.port}`).join(', ');
  const rules = plan.rules
    .map(
      (r) =>
        `${r.name}: ${r.sourceClient}:${r.sourceFilter} -> ${r.targetClient}:${r.targetPattern}${r.callback ? ` ${r.callback}` : ''}`,
    )
    .join('; ');
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `config OK: ${file}: ${n(plan.clients.length, 'client')} (${clients}), ${n(plan.rules.length, 'enabled rule')} (${rules}), ${disabled} disabled`;
}

/** Resolves with the exit code (for a run: after shutdown). */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const command = parseArgs(argv);
  if (command.kind === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (command.kind === 'version') {
    io.stdout(`mqtt-forwarder ${VERSION}\n`);
    return EXIT_OK;
  }
  const envLevel = io.env.LOG_LEVEL;
  const bootLog = createLogger({ level: envLevel !== undefined && isLogLevel(envLevel) ? envLevel : 'info' });
  if (command.kind === 'usage-error') {
    bootLog.error(`${command.message}; see --help`);
    return EXIT_CONFIG;
  }
  const loaded = loadConfig(command.config, io.cwd);
  const envError: ConfigError[] =
    envLevel !== undefined && !isLogLevel(envLevel)
      ? [{ path: 'LOG_LEVEL (environment)', message: `must be one of ${LOG_LEVELS.join(', ')} (got "${envLevel}")` }]
      : [];
  if (!loaded.ok || envError.length > 0) {
    return reportConfigErrors(bootLog, loaded.file, [...(loaded.ok ? [] : loaded.errors), ...envError]);
  }
  const plan = resolvePlan(loaded.config, dirname(loaded.file));
  const log = createLogger({ level: envLevel !== undefined && isLogLevel(envLevel) ? envLevel : plan.logLevel });
  for (const warning of loaded.warnings) log.warn(warning, { file: loaded.file });
  if (command.validateOnly) {
    io.stdout(`${summary(loaded.file, plan, loaded.config.rules.length - plan.rules.length)}\n`);
    return EXIT_OK;
  }
  log.info('mqtt-forwarder', { version: VERSION, config: loaded.file, pid: process.pid, node: process.version });
  return run(plan, log);
}

function run(plan: ForwarderPlan, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    let forwarder: RunningForwarder | null = null;
    let stopSignal: NodeJS.Signals | null = null;
    const shutdown = (running: RunningForwarder, signal: NodeJS.Signals) =>
      running.shutdown(signal).then(() => resolve(EXIT_OK), reject);
    // Registered before anything connects, so a signal during startup is a clean stop too.
    const stop = (signal: NodeJS.Signals) => {
      if (stopSignal !== null) {
        log.warn('second signal: exiting without draining', { signal });
        resolve(EXIT_FAILURE);
        return;
      }
      stopSignal = signal;
      if (forwarder !== null) void shutdown(forwarder, signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGUSR1', () => forwarder?.logStats());
    startForwarder(plan, log).then((started) => {
      forwarder = started;
      if (stopSignal !== null) void shutdown(started, stopSignal);
    }, reject);
  });
}
