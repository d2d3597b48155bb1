import type { Settings } from '../model/index.js';
import { commandForwarder } from './command-forwarder.js';
import { loadDeclaration } from './declaration-file.js';
import type { ForwarderDefinition } from './forwarder.js';
import { imageForwarder } from './image-forwarder.js';
import { mosquittoBridge } from './mosquitto-bridge.js';
import { referenceForwarder } from './reference-forwarder.js';

/** Turns one MQTT_TESTBENCH_FORWARDER entry into a definition (the settings validated its form). */
export function forwarderFromSpec(spec: string, settings: Settings): ForwarderDefinition {
  if (spec === 'reference') return referenceForwarder;
  if (spec === 'mosquitto-bridge') return mosquittoBridge;
  if (spec.startsWith('image:'))
    return imageForwarder(spec.slice('image:'.length), loadDeclaration(settings.forwarderDeclaration));
  if (spec.startsWith('command:'))
    return commandForwarder(spec.slice('command:'.length), loadDeclaration(settings.forwarderDeclaration));
  throw new Error(
    `unknown forwarder "${spec}": use reference, mosquitto-bridge, image:<name> or command:<command line>.`,
  );
}
