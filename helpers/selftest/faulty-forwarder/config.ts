import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The part of the original forwarder config schema (seed 000 `perf_config.json`, as the testbed
 * writes it: helpers/forwarders/forwarder-config.ts) the faulty forwarder needs. Fields it does not
 * use are ignored, as a third-party forwarder would.
 */
export interface FaultyForwarderConfig {
  /** MQTT 5 unless the config says `mqtt.protocol_version: 4` (only MQTT 5 shows a live message's RETAIN flag). */
  protocolVersion: 4 | 5;
  keepaliveS: number;
  /** `mqtt.clean_session` false: persistent sessions on every broker. */
  persistentSession: boolean;
  clients: ClientConfig[];
  rules: RuleConfig[];
}

export interface ClientConfig {
  name: string;
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** PEM of the CA to trust (TLS), read from `tls.ca`. */
  ca?: string;
}

export interface RuleConfig {
  name: string;
  sourceClient: string;
  sourceFilter: string;
  targetClient: string;
  targetPattern: string;
  /** `callback: "EventCall"`: the payload is wrapped as the original forwarder did. */
  eventCall: boolean;
}

const schema = z.object({
  mqtt: z
    .object({
      port: z.number().int().min(1).max(65_535).default(1883),
      keepalive: z.number().int().min(0).default(60),
      clean_session: z.boolean().default(true),
      protocol_version: z.union([z.literal(4), z.literal(5)]).optional(),
      username: z.string().nullable().optional(),
      password: z.string().nullable().optional(),
    })
    .default({ port: 1883, keepalive: 60, clean_session: true }),
  clients: z
    .array(
      z.object({
        name: z.string().min(1),
        ip: z.string().min(1),
        port: z.number().int().min(1).max(65_535).nullable().optional(),
        client_id: z.string().min(1),
        username: z.string().nullable().optional(),
        password: z.string().nullable().optional(),
        tls: z
          .object({ ca: z.string().min(1).optional() })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  rules: z.array(
    z.object({
      name: z.string().min(1),
      source: z.object({ client: z.string().min(1), topic: z.string().min(1) }),
      target: z.object({ client: z.string().min(1), topic: z.string().min(1) }),
      callback: z.enum(['EventCall', 'None']).nullable().optional(),
      enabled: z.boolean().default(true),
    }),
  ),
});

export class ConfigProblem extends Error {
  override readonly name = 'ConfigProblem';
}

export function readConfig(path: string): FaultyForwarderConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigProblem(`config ${path}: cannot be read as JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigProblem(`config ${path}: ${issues.join('; ')}`);
  }
  const { mqtt, clients, rules } = parsed.data;
  const enabled = rules.filter((rule) => rule.enabled);
  if (enabled.length === 0) throw new ConfigProblem(`config ${path}: rules: no enabled rule`);
  for (const [i, rule] of enabled.entries()) {
    for (const side of ['source', 'target'] as const) {
      if (!clients.some((c) => c.name === rule[side].client))
        throw new ConfigProblem(
          `config ${path}: rules[${i}].${side}.client: no client named "${rule[side].client}" (clients: ${clients.map((c) => c.name).join(', ')})`,
        );
    }
  }
  return {
    protocolVersion: mqtt.protocol_version ?? 5,
    keepaliveS: mqtt.keepalive,
    persistentSession: !mqtt.clean_session,
    clients: clients.map((c) => {
      const caFile = c.tls?.ca;
      const username = c.username ?? mqtt.username ?? undefined;
      const password = c.password ?? mqtt.password ?? undefined;
      return {
        name: c.name,
        url: `${caFile ? 'mqtts' : 'mqtt'}://${c.ip.includes(':') ? `[${c.ip}]` : c.ip}:${c.port ?? mqtt.port}`,
        clientId: c.client_id,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(caFile ? { ca: readFileSync(resolve(dirname(path), caFile), 'utf8') } : {}),
      };
    }),
    rules: enabled.map((rule) => ({
      name: rule.name,
      sourceClient: rule.source.client,
      sourceFilter: rule.source.topic,
      targetClient: rule.target.client,
      targetPattern: rule.target.topic,
      eventCall: rule.callback === 'EventCall',
    })),
  };
}
