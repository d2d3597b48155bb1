import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';
import type { ForwarderDeclaration } from './forwarder.js';

/**
 * What a forwarder of kind image:/command: promises, when the user says so. Without a file the
 * suites expect what a correct forwarder does: QoS preserved, retained messages and deletes
 * forwarded, nothing lost across a restart, both routes implemented.
 */
export const DEFAULT_DECLARATION: ForwarderDeclaration = {
  qos: { policy: 'preserve' },
  retainForwarded: true,
  retainedDeleteForwarded: true,
  losslessAcrossRestart: true,
  routes: ['pass', 'event'],
  notes: ['No MQTT_TESTBENCH_FORWARDER_DECLARATION given: expecting a correct forwarder (QoS preserved, retain forwarded, lossless).'],
};

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const declarationSchema = z.strictObject({
  qos: z.union([
    z.strictObject({ policy: z.literal('preserve') }),
    z.strictObject({ policy: z.literal('max'), qos }),
    z.strictObject({ policy: z.literal('fixed'), qos }),
  ]),
  retainForwarded: z.boolean(),
  retainedDeleteForwarded: z.boolean(),
  losslessAcrossRestart: z.boolean(),
  routes: z.array(z.enum(['pass', 'event'])).min(1),
  notes: z.array(z.string()).default([]),
});

export function loadDeclaration(path: string | undefined): ForwarderDeclaration {
  if (!path) return DEFAULT_DECLARATION;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`MQTT_TESTBENCH_FORWARDER_DECLARATION=${path} cannot be read (${(error as Error).message}): point it to a JSON file.`]);
  }
  const parsed = declarationSchema.safeParse(parseJsonWithPosition(text, `MQTT_TESTBENCH_FORWARDER_DECLARATION (${path})`));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  return { ...parsed.data, notes: [...parsed.data.notes, `Declared in ${path}.`] };
}
