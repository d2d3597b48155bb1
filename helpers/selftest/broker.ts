import { findMosquittoBinary, startMosquittoProcess } from '../targets/mosquitto/mosquitto-process.js';

/** The real broker behind a faulty proxy: a local mosquitto process on a free loopback port. */
export interface SelftestBroker {
  readonly label: string;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** e.g. `2.0.11`. */
  readonly version: string;
  /** Terminates the process and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/** Why the selftest cannot run here, or undefined when a mosquitto binary is available. */
export function selftestBrokerUnavailable(configuredBinary: string | undefined): string | undefined {
  return findMosquittoBinary(configuredBinary)
    ? undefined
    : `the selftest runs a real mosquitto behind its faulty proxy (MQTT 3.1.1 and 5): ${configuredBinary ? `MQTT_TESTBENCH_MOSQUITTO_BIN=${configuredBinary} is not an executable file` : 'no mosquitto binary on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN'}`;
}

/**
 * Starts mosquitto (the harness's generated configuration: no in-flight window, deep queues,
 * TCP_NODELAY) as a process of this run, so the run's watchdog removes it if the test process dies.
 */
export async function startSelftestBroker(
  label: string,
  options: { binary?: string; startupTimeoutMs: number },
): Promise<SelftestBroker> {
  const binary = findMosquittoBinary(options.binary);
  if (!binary) throw new Error(selftestBrokerUnavailable(options.binary));
  const started = await startMosquittoProcess({ label, binary, startupTimeoutMs: options.startupTimeoutMs });
  let stopping: Promise<void> | undefined;
  return {
    label,
    url: started.url,
    host: '127.0.0.1',
    port: started.port,
    pid: started.process.pid,
    version: started.version,
    stop() {
      stopping ??= (async () => {
        await started.process.terminate();
        started.removeFiles();
      })();
      return stopping;
    },
  };
}
