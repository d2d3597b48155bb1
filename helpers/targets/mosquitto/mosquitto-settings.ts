import type { Settings, TargetSettingSpec } from '../../model/index.js';
import { findExecutable } from '../../runtime/process/find-executable.js';
import { targetSetting } from '../target-setting.js';

/** The official image at a pinned tag; CI here uses the offline image built from Debian's package. */
export const MOSQUITTO_IMAGE: TargetSettingSpec = {
  name: 'MQTT_TESTBENCH_MOSQUITTO_IMAGE',
  kind: 'image',
  defaultValue: 'eclipse-mosquitto:2.0.22',
  defaultText: 'eclipse-mosquitto:2.0.22',
  description: 'Mosquitto image for the container runtime (mosquitto, mosquitto-secure, the mosquitto bridge).',
};

export const MOSQUITTO_BIN: TargetSettingSpec = {
  name: 'MQTT_TESTBENCH_MOSQUITTO_BIN',
  kind: 'binary',
  defaultText: 'mosquitto on PATH, else /usr/sbin/mosquitto',
  description: 'Mosquitto binary for the process runtime and the process-runtime bridge.',
};

const DEBIAN_MOSQUITTO = '/usr/sbin/mosquitto';

export function mosquittoImage(settings: Settings): string {
  return targetSetting(settings, MOSQUITTO_IMAGE) as string;
}

/** Finds the mosquitto binary: the configured one, then PATH, then Debian's /usr/sbin (often not on a user's PATH). */
export function findMosquittoBinary(configured: string | undefined): string | undefined {
  return findExecutable('mosquitto', configured, [DEBIAN_MOSQUITTO]);
}

/** The mosquitto binary these settings select, if it exists. */
export function mosquittoBinary(settings: Settings): string | undefined {
  return findMosquittoBinary(targetSetting(settings, MOSQUITTO_BIN));
}

/** Why no mosquitto binary can be used with these settings (and how to get one), or undefined when one is found. */
export function mosquittoMissing(settings: Settings): string | undefined {
  return mosquittoBinary(settings) ? undefined : missingMosquittoBinary(settings);
}

/** Why no binary was found, and how to fix it. */
export function missingMosquittoBinary(settings: Settings): string {
  const configured = targetSetting(settings, MOSQUITTO_BIN);
  return configured
    ? `MQTT_TESTBENCH_MOSQUITTO_BIN=${configured} is not an executable file.`
    : 'no mosquitto binary on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN.';
}
