import { readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Settings, TargetSettingSpec } from '../../model/index.js';
import { findExecutable } from '../../runtime/process/find-executable.js';
import { targetSetting } from '../target-setting.js';

/** The official image at a pinned tag (MQTT 5 since 3.13); CI here uses the offline image built from Debian's package. */
export const RABBITMQ_IMAGE: TargetSettingSpec = {
  name: 'MQTT_TESTBENCH_RABBITMQ_IMAGE',
  kind: 'image',
  defaultValue: 'rabbitmq:4.1.4',
  defaultText: 'rabbitmq:4.1.4',
  description: 'RabbitMQ image for the container runtime (the MQTT plugin is enabled through its configuration).',
};

export const RABBITMQ_BIN: TargetSettingSpec = {
  name: 'MQTT_TESTBENCH_RABBITMQ_BIN',
  kind: 'binary',
  defaultText: 'rabbitmq-server on PATH, else /usr/sbin/rabbitmq-server (Debian: the start script it wraps)',
  description:
    "RabbitMQ's rabbitmq-server for the process runtime (each start is an isolated node: its own name, ports, data folder and epmd).",
};

const DEBIAN_RABBITMQ = '/usr/sbin/rabbitmq-server';
/** Debian's /usr/sbin/rabbitmq-server links to this wrapper, which `su`s to the rabbitmq user and then runs bin/rabbitmq-server. */
const DEBIAN_WRAPPER = 'rabbitmq-script-wrapper';

export function rabbitmqImage(settings: Settings): string {
  return targetSetting(settings, RABBITMQ_IMAGE) as string;
}

/** The installed RabbitMQ: the start script to run and the version its folder names. */
export interface RabbitmqInstall {
  /** `sbin/rabbitmq-server` of the installation (for Debian's package, the script its wrapper runs). */
  script: string;
  /** e.g. `3.10.8`, from `lib/rabbitmq_server-3.10.8` (or the installation folder's own name). */
  version: string;
}

/**
 * Finds rabbitmq-server (the configured path, then PATH, then Debian's /usr/sbin) and resolves
 * Debian's wrapper to the start script it runs: the wrapper switches user with `su -c`, which puts
 * the Erlang VM in a session of its own where the harness's signals (stop, kill, pause) would not
 * reach it.
 */
export function findRabbitmq(settings: Settings): RabbitmqInstall | undefined {
  const found = findExecutable('rabbitmq-server', targetSetting(settings, RABBITMQ_BIN), [DEBIAN_RABBITMQ]);
  if (!found) return undefined;
  const real = realpathSync(found);
  const script = basename(real) === DEBIAN_WRAPPER ? join(dirname(real), 'rabbitmq-server') : real;
  const home = dirname(dirname(script));
  return { script, version: versionIn(home) };
}

/** Why no rabbitmq-server was found, and how to fix it. */
export function missingRabbitmq(settings: Settings): string {
  const configured = targetSetting(settings, RABBITMQ_BIN);
  return configured
    ? `MQTT_TESTBENCH_RABBITMQ_BIN=${configured} is not an executable file.`
    : 'no rabbitmq-server on PATH or at /usr/sbin/rabbitmq-server: install it (apt-get install rabbitmq-server) or set MQTT_TESTBENCH_RABBITMQ_BIN.';
}

function versionIn(home: string): string {
  const own = /^rabbitmq_server-(.+)$/.exec(basename(home))?.[1];
  if (own) return own;
  try {
    for (const entry of readdirSync(join(home, 'lib'))) {
      const version = /^rabbitmq_server-(.+)$/.exec(entry)?.[1];
      if (version) return version;
    }
  } catch {
    // No lib folder: an installation laid out otherwise; its version shows in the start log.
  }
  return 'unknown';
}
