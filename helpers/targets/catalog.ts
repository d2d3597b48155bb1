import type { TargetSettingSpec } from '../model/index.js';
import { EMQX_IMAGE } from './emqx/emqx-settings.js';
import { MOSQUITTO_BIN, MOSQUITTO_IMAGE } from './mosquitto/mosquitto-settings.js';
import { RABBITMQ_BIN, RABBITMQ_IMAGE } from './rabbitmq/rabbitmq-settings.js';

/**
 * The names of the broker products the suites know and the MQTT_TESTBENCH_* settings each declares
 * in its folder: what the settings layer needs, without the implementations (containers, processes)
 * the registry (registry.ts) pairs with each name. The command-line bundle reads settings and must
 * not pull testcontainers in, hence the two lists; the compiler makes the registry cover this one.
 */
// One target per line (prettier would join them), so that adding a broker is a one-line change here.
// prettier-ignore
export const TARGET_CATALOG = [
  { name: 'mosquitto', settings: [MOSQUITTO_IMAGE, MOSQUITTO_BIN] },
  { name: 'mosquitto-secure', settings: [] },
  { name: 'emqx', settings: [EMQX_IMAGE] },
  { name: 'aedes', settings: [] },
  { name: 'external', settings: [] },
  { name: 'rabbitmq', settings: [RABBITMQ_IMAGE, RABBITMQ_BIN] },
] as const satisfies readonly { name: string; settings: readonly TargetSettingSpec[] }[];

export type TargetName = (typeof TARGET_CATALOG)[number]['name'];

export const TARGET_NAMES: readonly TargetName[] = TARGET_CATALOG.map((t) => t.name);

/** The MQTT_TESTBENCH_* variables the targets declare, in catalog order. */
export const TARGET_SETTINGS: readonly TargetSettingSpec[] = TARGET_CATALOG.flatMap((t) => t.settings);

export function targetSettingsOf(name: TargetName): readonly TargetSettingSpec[] {
  return TARGET_CATALOG.find((t) => t.name === name)?.settings ?? [];
}
