// Child processes for integration tests and the benchmark: local mosquitto
// brokers (started by the mosquitto target's launcher) and the bundled forwarder CLI. Every process
// is registered so stopAllProcesses() can kill whatever a failed test left.
// Readiness is awaited on log lines, each wait with a timeout and a clear error.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../../helpers/config/settings.js';
import { processCpuMs, processRssBytes } from '../../../helpers/runtime/proc.js';
import {
  startMosquittoProcess,
  type StartedMosquittoProcess,
} from '../../../helpers/targets/mosquitto/mosquitto-process.js';
import { mosquittoBinary, mosquittoMissing } from '../../../helpers/targets/mosquitto/mosquitto-settings.js';
import { waitUntil } from './mqtt-clients.js';

const PACKAGE_NAME = 'mqtt-testbench';

/** The repository root: the nearest parent holding this project's package.json (works from a bundle in dist/ too). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME)
      return dir;
    if (dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const FORWARDER_BUNDLE = join(REPO_ROOT, 'dist/mqtt-forwarder.mjs');
const READY_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;
const SETTLE_TIMEOUT_MS = 15_000;

/** The suites' Mosquitto (MQTT_TESTBENCH_MOSQUITTO_BIN, PATH, Debian's): one way to find it everywhere. */
const SETTINGS = loadSettings();
export const MOSQUITTO_BIN = mosquittoBinary(SETTINGS) ?? 'mosquitto';
/** Why these tests cannot start a broker here, or undefined when they can. */
export const MOSQUITTO_MISSING = mosquittoMissing(SETTINGS);

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const brokers = new Set<MosquittoBroker>();

// A test worker that is told to stop (Ctrl-C on the run, a timeout) never reaches its afterEach:
// the brokers and forwarders it started would outlive it. Kill them on the way out.
let exitHooked = false;
function killOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = (): void => {
    for (const child of running) child.kill('SIGKILL');
    for (const broker of brokers) broker.killNow();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveExit(code);
    });
  });
}

/** Kills every process started here that is still running, and removes temp dirs. */
export async function stopAllProcesses(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => waitForExit(child, EXIT_TIMEOUT_MS)));
  running.clear();
  await Promise.all([...brokers].map((broker) => broker.remove()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Lines of a stream, as they arrive. */
function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

function track(child: ChildProcess): ChildProcess {
  killOnExit();
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/**
 * mosquitto 2.0.11 (Debian 12) strands QoS 1/2 messages that were queued behind
 * a full in-flight window while the subscriber was online, once that subscriber
 * reconnects to its persistent session: they are never delivered (reproduced
 * without any forwarder; the maintainer points to in-flight quota fixes in
 * 2.0.13, eclipse-mosquitto/mosquitto#2362). With no window (0 = no maximum)
 * nothing is queued behind it, so tests that reconnect persistent sessions use 0.
 */
export const NO_INFLIGHT_WINDOW = 0;

export interface MosquittoOptions {
  /** Keep sessions and retained messages across restarts (saved on SIGTERM). */
  persistence?: boolean;
  /** max_inflight_messages; default 1000 (the benchmark's setting). See {@link NO_INFLIGHT_WINDOW}. */
  maxInflightMessages?: number;
  extraConfig?: string[];
}

/** A mosquitto process started by the mosquitto target's process launcher, with the settings these tests pin. */
export class MosquittoBroker {
  private constructor(private readonly started: StartedMosquittoProcess) {}

  static async start(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
    killOnExit();
    const started = await startMosquittoProcess({
      label: 'mqtt-fwd-broker',
      binary: MOSQUITTO_BIN,
      startupTimeoutMs: READY_TIMEOUT_MS,
      config: (port, dataDir) => [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `max_inflight_messages ${options.maxInflightMessages ?? 1000}`,
        'max_queued_messages 100000',
        'set_tcp_nodelay true',
        ...(options.persistence ? ['persistence true', `persistence_location ${dataDir}/`, 'autosave_interval 0'] : []),
        ...(options.extraConfig ?? []),
      ],
    });
    const broker = new MosquittoBroker(started);
    brokers.add(broker);
    return broker;
  }

  get port(): number {
    return this.started.port;
  }

  get pid(): number | undefined {
    return this.started.process.pid;
  }

  /** Graceful stop (saves persistence). */
  async stop(): Promise<void> {
    await this.started.process.terminate(EXIT_TIMEOUT_MS);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.started.relaunch();
  }

  /** SIGKILL from an exit handler, where nothing can be awaited. */
  killNow(): void {
    if (this.started.process.running) this.started.process.signal('SIGKILL');
  }

  /** Kills it at once and removes its files. */
  async remove(): Promise<void> {
    await this.started.process.kill();
    this.started.removeFiles();
    brokers.delete(this);
  }
}

export interface SpawnOptions {
  /** CLI arguments after the config (or instead of it when config is null). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Options for node itself, e.g. --cpu-prof. */
  nodeArgs?: string[];
  cwd?: string;
}

export type LogRecord = Record<string, unknown> & { msg?: string; level?: string };

export class ForwarderProcess {
  readonly records: LogRecord[] = [];
  readonly stdout: string[] = [];
  readonly rawStderr: string[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    onLines(child.stderr as NodeJS.ReadableStream, (line) => {
      this.rawStderr.push(line);
      try {
        this.records.push(JSON.parse(line) as LogRecord);
      } catch {
        this.records.push({ msg: line, level: 'unparsed' });
      }
      for (const wake of this.waiters) wake();
    });
    onLines(child.stdout as NodeJS.ReadableStream, (line) => this.stdout.push(line));
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code) => {
        resolveExit(code);
        for (const wake of this.waiters) wake();
      }),
    );
  }

  /** Spawns `node dist/mqtt-forwarder.mjs` with the given args (config written to a temp file if an object). */
  static spawn(config: object | null, options: SpawnOptions = {}): ForwarderProcess {
    const fullArgs = [...(options.args ?? [])];
    if (config !== null) {
      const file = join(makeTempDir('mqtt-fwd-config-'), 'config.json');
      writeFileSync(file, JSON.stringify(config, null, 2));
      fullArgs.unshift('-c', file);
    }
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), FORWARDER_BUNDLE, ...fullArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: { ...process.env, LOG_LEVEL: undefined, ...options.env },
    });
    return new ForwarderProcess(track(child));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** The first log record matching, waiting up to timeoutMs. */
  waitForLog(predicate: (r: LogRecord) => boolean, what: string, timeoutMs = READY_TIMEOUT_MS): Promise<LogRecord> {
    return new Promise((resolveRecord, reject) => {
      const check = () => {
        const found = this.records.find(predicate);
        if (found) {
          done();
          resolveRecord(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(
            new Error(
              `forwarder exited (${this.child.exitCode ?? this.child.signalCode}) before logging ${what}:\n${this.rawStderr.join('\n')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`forwarder did not log ${what} within ${timeoutMs} ms:\n${this.rawStderr.join('\n')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends SIGUSR1 and returns the "stats" line logged in response (not an earlier one). */
  async freshStats(timeoutMs = READY_TIMEOUT_MS): Promise<LogRecord> {
    const seen = this.records.length;
    this.child.kill('SIGUSR1');
    return this.waitForLog(
      (r) => r.msg === 'stats' && this.records.indexOf(r) >= seen,
      'a "stats" line after SIGUSR1',
      timeoutMs,
    );
  }

  /**
   * Asks for stats until `ready` holds, at most timeoutMs; throws with the last line. A message
   * seen upstream does not mean its PUBACK has reached the forwarder yet (a flake run caught 325
   * in flight that were gone 1 ms later): counters that settle after delivery are read once settled.
   */
  async statsWhen(
    ready: (stats: LogRecord) => boolean,
    what: string,
    timeoutMs = SETTLE_TIMEOUT_MS,
  ): Promise<LogRecord> {
    let last: LogRecord = {};
    await waitUntil(
      async () => ready((last = await this.freshStats())),
      () => `the forwarder's stats to show ${what}; last: ${JSON.stringify(last)}`,
      timeoutMs,
    );
    return last;
  }

  /** Stats once nothing is in flight either side: every target PUBACK in, every source message acknowledged. */
  settledStats(timeoutMs = SETTLE_TIMEOUT_MS): Promise<LogRecord> {
    return this.statsWhen(
      (s) => s.inflight_source === 0 && s.inflight_target === 0,
      'nothing in flight (inflight_source and inflight_target 0)',
      timeoutMs,
    );
  }

  waitForReady(timeoutMs = READY_TIMEOUT_MS): Promise<LogRecord> {
    return this.waitForLog((r) => r.msg === 'forwarder ready', '"forwarder ready"', timeoutMs);
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return Promise.race([
      this.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('forwarder did not exit after SIGTERM')), EXIT_TIMEOUT_MS),
      ),
    ]);
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** CPU time (user + system) a process used so far, in ms (Linux, 10 ms resolution). */
export function cpuTimeMs(pid: number): number {
  const used = processCpuMs(pid);
  if (used === null) throw new Error(`cannot read the CPU time of process ${pid} from /proc`);
  return used;
}

/** Resident set size of a process in bytes (Linux); 0 where it cannot be read. */
export function rssBytes(pid: number): number {
  return processRssBytes(pid) ?? 0;
}
