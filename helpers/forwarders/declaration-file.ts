import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ForwarderDeclaration } from '../model/index.js';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';

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
  notes: [
    'No MQTT_TESTBENCH_FORWARDER_DECLARATION given: expecting a correct forwarder (QoS preserved, retain forwarded, lossless).',
  ],
};

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'a QoS: 0, 1 or 2' });
const flag = z.boolean({ error: 'true or false' });
const declarationSchema = z
  .strictObject({
    qos: z
      .discriminatedUnion(
        'policy',
        [
          z.strictObject({ policy: z.literal('preserve') }).describe('forwarded with the QoS it was published with'),
          z
            .strictObject({ policy: z.literal('max'), qos })
            .describe('forwarded with min(published QoS, qos): the forwarder caps QoS'),
          z
            .strictObject({ policy: z.literal('fixed'), qos })
            .describe('always forwarded with qos, whatever it was published with'),
        ],
        {
          error: '{"policy": "preserve"}, {"policy": "max", "qos": 0|1|2} or {"policy": "fixed", "qos": 0|1|2}',
        },
      )
      .describe(
        'The QoS a message published downstream at QoS q is forwarded with (before the upstream subscriber’s own downgrade). Read by the qos-matrix suite.',
      ),
    retainForwarded: flag.describe(
      'A live retained publish downstream is retained upstream. Read by the retain-forwarder suite.',
    ),
    retainedDeleteForwarded: flag.describe(
      'A retained delete (empty retained payload) downstream clears the retained message upstream. Read by the retain-forwarder suite.',
    ),
    losslessAcrossRestart: flag.describe(
      'A kill -9 and restart of the forwarder loses no confirmed QoS 1 message. Read by the faults and clean-session-forwarder suites.',
    ),
    routes: z
      .array(z.enum(['pass', 'event'], { error: '"pass" or "event"' }), { error: 'a list of "pass" and/or "event"' })
      .min(1, { error: 'at least one of "pass" and "event"' })
      .describe(
        'The routes (callbacks) it implements: "pass" forwards the payload unchanged, "event" applies the EventCall JSON wrapping. Only these rules are in its config; tests of another route are skipped.',
      ),
    notes: z
      .array(z.string({ error: 'a string' }), { error: 'a list of strings' })
      .default([])
      .describe('Free text for the report: where each promise comes from.'),
  })
  .describe(
    'What an image: or command: forwarder promises (MQTT_TESTBENCH_FORWARDER_DECLARATION, mqtt-testbench test --declaration). See docs/forwarder-declaration.md.',
  );

/** The committed JSON Schema of a declaration file, generated from the zod schema (`mqtt-testbench schema declaration`). */
export const DECLARATION_SCHEMA_FILE = 'fixtures/forwarders/declaration.schema.json';

/** The JSON Schema of a declaration file (what a file may contain: `notes` may be left out). */
export function declarationJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(declarationSchema, { target: 'draft-2020-12', io: 'input' }),
    title: 'mqtt-testbench forwarder declaration',
  };
}

export function loadDeclaration(path: string | undefined): ForwarderDeclaration {
  if (!path) return DEFAULT_DECLARATION;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([
      `MQTT_TESTBENCH_FORWARDER_DECLARATION=${path} cannot be read (${(error as Error).message}): point it to a JSON file.`,
    ]);
  }
  const parsed = declarationSchema.safeParse(
    parseJsonWithPosition(text, `MQTT_TESTBENCH_FORWARDER_DECLARATION (${path})`),
    { reportInput: true },
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `MQTT_TESTBENCH_FORWARDER_DECLARATION (${path}): ${describeIssue(issue)}`),
    );
  }
  return { ...parsed.data, notes: [...parsed.data.notes, `Declared in ${path}.`] };
}

/** `field: got <value>; allowed: <what>`, or the unknown fields with the known ones. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const known = issue.path.length === 0 ? `; known fields: ${Object.keys(declarationSchema.shape).join(', ')}` : '';
    return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}${known}`;
  }
  const got = 'input' in issue && issue.input !== undefined ? JSON.stringify(issue.input) : 'nothing';
  return `${field}: got ${got}; allowed: ${issue.message}`;
}
