import { loadSettings } from '../../config/settings.js';
import { startMosquittoProcess } from '../../targets/mosquitto/mosquitto-process.js';
import { mosquittoBinary, mosquittoMissing } from '../../targets/mosquitto/mosquitto-settings.js';

/** The engine's own tests and measurements use the suites' Mosquitto (MQTT_TESTBENCH_MOSQUITTO_BIN, PATH, Debian's). */
const FOUND_MOSQUITTO = mosquittoBinary(loadSettings());
export const MOSQUITTO_BINARY = FOUND_MOSQUITTO ?? '/usr/sbin/mosquitto';
/** Why the engine's tests that need a real broker cannot run here, or undefined. */
export const MOSQUITTO_MISSING = mosquittoMissing(loadSettings());

const READY_TIMEOUT_MS = 10_000;

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
 * defaults, ready when its port accepts connections (it logs nothing, so the
 * port is probed). Started by the mosquitto target's process launcher.
 */
export async function startLocalMosquitto(settings: 'reference' | 'stock' = 'reference'): Promise<LocalMosquitto> {
  const started = await startMosquittoProcess({
    label: `load-mosquitto-${settings}`,
    binary: MOSQUITTO_BINARY,
    startupTimeoutMs: READY_TIMEOUT_MS,
    readiness: 'listening',
    config: (port) => [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(settings === 'reference' ? REFERENCE_SETTINGS : []),
      'persistence false',
      'log_dest none',
    ],
  });
  return {
    url: started.url,
    pid: started.process.pid ?? 0,
    stop: async () => {
      await started.process.terminate();
      started.removeFiles();
    },
  };
}
