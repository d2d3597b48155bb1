import type { TargetSettingSpec } from '../config/settings.js';
import { aedesTarget } from './aedes/aedes-target.js';
import { emqxTarget } from './emqx/emqx-target.js';
import { externalTarget } from './external/external-target.js';
import { mosquittoSecureTarget } from './mosquitto/mosquitto-secure-target.js';
import { mosquittoTarget } from './mosquitto/mosquitto-target.js';
import { rabbitmqTarget } from './rabbitmq/rabbitmq-target.js';
import type { Pairing, Target } from './target.js';

/**
 * Every broker product the suites know, one line each. Adding a broker is a new folder
 * `helpers/targets/<name>/` exporting a `Target` and one line here: the settings, the runtime
 * selection, the run plan (with the target's mixed topologies), the README's tables and the
 * bad-input tests read this list.
 */
// One target per line (prettier would join them), so that adding a broker is a one-line change.
// prettier-ignore
const TARGET_LIST = [
  mosquittoTarget,
  mosquittoSecureTarget,
  emqxTarget,
  aedesTarget,
  externalTarget,
  rabbitmqTarget,
] as const;

export type TargetName = (typeof TARGET_LIST)[number]['name'];

export const TARGETS: readonly Target<TargetName>[] = TARGET_LIST;

export const TARGET_NAMES: readonly TargetName[] = TARGET_LIST.map((t) => t.name);

/** The MQTT_TESTBENCH_* variables the targets declare, in registry order. */
export const TARGET_SETTINGS: readonly TargetSettingSpec[] = TARGET_LIST.flatMap((t) => t.settings);

/** Mixed topologies of every target, in registry order, without duplicates. */
export const PAIRINGS: readonly Pairing[] = TARGET_LIST.flatMap((t) => t.pairings).filter(
  (pair, i, all) => all.findIndex(([down, up]) => down === pair[0] && up === pair[1]) === i,
);

export function targetByName(name: TargetName): Target<TargetName> {
  const target = TARGET_LIST.find((t) => t.name === name);
  if (!target) throw new Error(`no target named "${name}" in helpers/targets/registry.ts`);
  return target;
}
