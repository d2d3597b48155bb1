import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit, ManagedProcess } from '../../runtime/process/managed-process.js';
import { portTakenPerLogs, startOnFreePort } from '../../runtime/ports.js';
import { runContext, uniqueName } from '../../runtime/run-context.js';
import { waitForListener } from '../../runtime/tcp-listener.js';
import {
  MOSQUITTO_READY_LINE,
  mosquittoConfig,
  type BridgeConnection,
  type MosquittoSecurityFiles,
} from './mosquitto-config.js';

/**
 * Started as root, mosquitto switches to the `mosquitto` user, which cannot write the persistence
 * file into the run's root-owned folder ("Error saving in-memory database ... Permission denied"):
 * a restart with `persistence` then silently loses every session. `user root` keeps it running as
 * the user who runs the tests, as it does for everyone else.
 */
const RUN_AS_INVOKING_USER = process.getuid?.() === 0 ? ['user root'] : [];

export { findMosquittoBinary } from './mosquitto-settings.js';

export interface MosquittoProcessOptions {
  label: string;
  binary: string;
  persistence?: boolean;
  bridges?: BridgeConnection[];
  /** TLS listener with password file and ACL (files on this host); the URL is then mqtts://. */
  security?: MosquittoSecurityFiles;
  startupTimeoutMs: number;
  /**
   * The config lines to run with instead of the generated config (tests that pin their own broker
   * settings); `persistence`, `bridges` and `security` are then ignored. `user root` is still
   * appended when the tests run as root.
   */
  config?: (port: number, dataDir: string) => string[];
  /** How to tell it is ready: its ready line (default), or its port accepting connections (a config that logs nothing). */
  readiness?: 'ready-line' | 'listening';
}

export interface StartedMosquittoProcess {
  process: ManagedProcess;
  port: number;
  url: string;
  version: string;
  /** Spawns again with the same config and port and waits for the ready line. */
  relaunch: () => Promise<void>;
  /** Removes the config and data folder. */
  removeFiles: () => void;
}

/**
 * Starts mosquitto on a free loopback port and waits for its ready line. A lost race for the port
 * ("Address already in use") is retried with a new port.
 */
export async function startMosquittoProcess(options: MosquittoProcessOptions): Promise<StartedMosquittoProcess> {
  const dir = join(runContext().runDir, uniqueName(options.label.replace(/[^a-z0-9-]+/gi, '-')));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const removeFiles = () => rmSync(dir, { recursive: true, force: true });
  const attempt = async (port: number): Promise<StartedMosquittoProcess> => {
    const configPath = join(dir, 'mosquitto.conf');
    const dataDir = join(dir, 'data');
    const config = options.config
      ? [...options.config(port, dataDir), ...RUN_AS_INVOKING_USER, ''].join('\n')
      : mosquittoConfig({
          bindAddress: '127.0.0.1',
          port,
          persistence: options.persistence ? { location: dataDir } : undefined,
          bridges: options.bridges,
          security: options.security,
          extraLines: RUN_AS_INVOKING_USER,
        });
    writeFileSync(configPath, config, { mode: 0o600 }); // 0600: a bridge's config holds the remote password
    const proc = new ManagedProcess({ label: options.label, command: options.binary, args: ['-c', configPath] });
    const launch = async (): Promise<string> => {
      const fromLine = proc.logs.lineCount;
      await proc.start();
      try {
        if (options.readiness !== 'listening')
          return await proc.waitForLogLine(MOSQUITTO_READY_LINE, options.startupTimeoutMs, fromLine);
        await waitForListener('127.0.0.1', port, options.startupTimeoutMs, () =>
          proc.exited ? `${options.label} ended with ${describeExit(proc.exited)}` : undefined,
        );
        return '';
      } catch (error) {
        await proc.terminate();
        throw error;
      }
    };
    try {
      const readyLine = await launch();
      return {
        process: proc,
        port,
        url: `${options.security ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
        version: readyLine.match(MOSQUITTO_READY_LINE)?.[1] ?? 'unknown',
        relaunch: async () => {
          await launch();
        },
        removeFiles,
      };
    } catch (error) {
      throw portTakenPerLogs(error, proc.logs.tail(10), options.label);
    }
  };
  try {
    return await startOnFreePort(attempt);
  } catch (error) {
    removeFiles();
    throw error;
  }
}
