/** The public entry of helpers/targets for the suites: what they use, re-exported. */
export { EMQX_IMAGE } from './emqx/emqx-settings.js';
export { ACL_DENIAL_NOTE } from './mosquitto/mosquitto-secure-target.js';
export { MOSQUITTO_BIN } from './mosquitto/mosquitto-settings.js';
export { targetByName } from './registry.js';
export { securityMaterial } from './security-material.js';
export { targetSetting } from './target-setting.js';
