import type { TargetName } from '../config/settings.js';
import { aedesTarget } from './aedes/aedes-target.js';
import { emqxTarget } from './emqx/emqx-target.js';
import { externalTarget } from './external/external-target.js';
import { mosquittoSecureTarget } from './mosquitto/mosquitto-secure-target.js';
import { mosquittoTarget } from './mosquitto/mosquitto-target.js';
import type { Target } from './target.js';

export const TARGETS: Readonly<Record<TargetName, Target>> = {
  mosquitto: mosquittoTarget,
  'mosquitto-secure': mosquittoSecureTarget,
  emqx: emqxTarget,
  aedes: aedesTarget,
  external: externalTarget,
};

export function targetByName(name: TargetName): Target {
  return TARGETS[name];
}
