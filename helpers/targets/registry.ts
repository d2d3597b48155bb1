import { TARGET_NAMES, type TargetName } from './catalog.js';
import { aedesTarget } from './aedes/aedes-target.js';
import { emqxTarget } from './emqx/emqx-target.js';
import { externalTarget } from './external/external-target.js';
import { mosquittoSecureTarget } from './mosquitto/mosquitto-secure-target.js';
import { mosquittoTarget } from './mosquitto/mosquitto-target.js';
import { rabbitmqTarget } from './rabbitmq/rabbitmq-target.js';
import type { Pairing, Target } from './target.js';

export { TARGET_NAMES, TARGET_SETTINGS, type TargetName } from './catalog.js';

/**
 * The implementation of every target of the catalog (catalog.ts), one line each. Adding a broker is
 * a new folder `helpers/targets/<name>/` exporting a `Target`, its line in the catalog and its line
 * here (the compiler asks for it): the settings, the runtime selection, the run plan (with the
 * target's mixed topologies), the README's tables and the bad-input tests read these lists.
 */
const IMPLEMENTATIONS: { readonly [N in TargetName]: Target<N> } = {
  mosquitto: mosquittoTarget,
  'mosquitto-secure': mosquittoSecureTarget,
  emqx: emqxTarget,
  aedes: aedesTarget,
  external: externalTarget,
  rabbitmq: rabbitmqTarget,
};

export const TARGETS: readonly Target<TargetName>[] = TARGET_NAMES.map((name) => IMPLEMENTATIONS[name]);

/** Mixed topologies of every target, in registry order, without duplicates. */
export const PAIRINGS: readonly Pairing[] = TARGETS.flatMap((t) => t.pairings).filter(
  (pair, i, all) => all.findIndex(([down, up]) => down === pair[0] && up === pair[1]) === i,
);

/** The target of a name from the settings or a started broker (validated against the catalog at the edge). */
export function targetByName(name: string): Target<TargetName> {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no target named "${name}" in helpers/targets/registry.ts`);
  return target;
}
