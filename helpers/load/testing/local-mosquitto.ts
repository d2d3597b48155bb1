import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../config/settings.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { mosquittoBinary, mosquittoMissing } from '../../targets/mosquitto/mosquitto-settings.js';

/** The engine's own tests and measurements use the suites' Mosquitto (MQTT_TESTBENCH_MOSQUITTO_BIN, PATH, Debian's). */
const FOUND_MOSQUITTO = mosquittoBinary(loadSettings());
export const MOSQUITTO_BINARY = FOUND_MOSQUITTO ?? '/usr/sbin/mosquitto';
/** Why the engine's tests that need a real broker cannot run here, or undefined. */
export const MOSQUITTO_MISSING = mosquittoMissing(loadSettings());

const READY_TIMEOUT_MS = 10_000;
const PROBE_INTERVAL_MS = 20;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalMosquitto {
  url: string;
  /** Process id, e.g. to read the broker's CPU time from /proc/<pid>/stat. */
  pid: number;
  stop(): Promise<void>;
}

/** The settings of the performance reference; `stock` has none of them (the defaults a packaged Mosquitto runs with). */
const REFERENCE_SETTINGS = ['max_inflight_messages 0', 'max_queued_messages 1000000', 'set_tcp_nodelay true'];

/**
 * mosquitto on a free loopback port with the settings of the performance
 * reference (no in-flight limit: 2.0.11 strands messages with one, see the
 * targets' mosquitto config; deep queue; TCP_NODELAY), or with its stock
 * defaults, ready when its port accepts connections (it buffers its log when
 * piped, so the port is probed).
 */
export async function startLocalMosquitto(settings: 'reference' | 'stock' = 'reference'): Promise<LocalMosquitto> {
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(join(tmpdir(), 'mtb-load-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(settings === 'reference' ? REFERENCE_SETTINGS : []),
      'persistence false',
      'log_dest none',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO_BINARY, ['-c', config], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start ${MOSQUITTO_BINARY}: ${error.message}`)));
    child.once('exit', (code) =>
      reject(new Error(`${MOSQUITTO_BINARY} exited with ${code} before accepting connections`)),
    );
  });
  try {
    await Promise.race([waitForListener(port), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function waitForListener(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`mosquitto not listening on ${port} after ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
}
