// Cross-field and semantic checks. They run on the raw JSON (next to the
// schema check, not after it) so that one run reports every error at once.

import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CALLBACK_NAMES, PASS_THROUGH_NAMES } from '../callbacks/index.js';
import { filterError, intersects } from '../topics/filter.js';
import { mappingError } from '../topics/map.js';
import type { ConfigError } from './errors.js';
import { hostError } from './host.js';
import { DEFAULT_MQTT_PORT } from './schema.js';
import { closest } from './suggest.js';

export interface SemanticResult {
  errors: ConfigError[];
  warnings: string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asObjects = (v: unknown): Array<Json | undefined> =>
  Array.isArray(v) ? v.map((x) => (isObject(x) ? x : undefined)) : [];
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const TLS_FILE_FIELDS = ['ca', 'cert', 'key'] as const;
const ALLOWED_CALLBACKS = [...CALLBACK_NAMES, ...PASS_THROUGH_NAMES];

/** A setting of a client, inherited from `mqtt` when the client does not set it. */
function effective(client: Json, mqtt: Json, field: string): unknown {
  return field in client ? client[field] : mqtt[field];
}

function checkTlsFiles(tls: unknown, path: string, baseDir: string, errors: ConfigError[]): void {
  if (!isObject(tls)) return;
  for (const field of TLS_FILE_FIELDS) {
    const file = str(tls[field]);
    if (file === undefined || file === '') continue;
    const full = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      accessSync(full, constants.R_OK);
    } catch (error) {
      errors.push({
        path: `${path}.tls.${field}`,
        message: `cannot read "${full}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); give a readable PEM file, relative to the config file`,
      });
    }
  }
  if ((str(tls.cert) === undefined) !== (str(tls.key) === undefined)) {
    errors.push({ path: `${path}.tls`, message: '"cert" and "key" must be set together (mutual TLS)' });
  }
}

function checkClients(raw: Json, baseDir: string, errors: ConfigError[]): Map<string, Json> {
  const mqtt = isObject(raw.mqtt) ? raw.mqtt : {};
  const defaultPort = typeof mqtt.port === 'number' ? mqtt.port : DEFAULT_MQTT_PORT;
  checkTlsFiles(mqtt.tls, 'mqtt', baseDir, errors);
  const byName = new Map<string, Json>();
  const byIdentity = new Map<string, number>();
  asObjects(raw.clients).forEach((client, i) => {
    if (!client) return;
    const path = `clients[${i}]`;
    const name = str(client.name);
    if (name !== undefined && name !== '') {
      if (byName.has(name))
        errors.push({ path: `${path}.name`, message: `duplicate client name "${name}"; client names must be unique` });
      else byName.set(name, client);
    }
    const host = str(client.ip);
    const hostProblem = host === undefined || host === '' ? null : hostError(host);
    if (hostProblem) errors.push({ path: `${path}.ip`, message: hostProblem });
    const clientId = str(client.client_id);
    const port = typeof client.port === 'number' ? client.port : defaultPort;
    if (host && clientId) {
      const identity = `${host.toLowerCase()}:${port}:${clientId}`;
      const other = byIdentity.get(identity);
      if (other !== undefined) {
        errors.push({
          path: `${path}.client_id`,
          message: `clients[${other}] already connects to ${host}:${port} as "${clientId}"; the broker would disconnect one of them, give each a distinct client_id`,
        });
      } else {
        byIdentity.set(identity, i);
      }
    }
    const minMs = effective(client, mqtt, 'reconnect_min_ms');
    const maxMs = effective(client, mqtt, 'reconnect_max_ms');
    if (typeof minMs === 'number' && typeof maxMs === 'number' && minMs > maxMs) {
      errors.push({
        path: `${path}.reconnect_min_ms`,
        message: `must not exceed reconnect_max_ms (${minMs} > ${maxMs})`,
      });
    }
    checkTlsFiles(client.tls, path, baseDir, errors);
  });
  return byName;
}

function checkClientRef(
  ref: unknown,
  path: string,
  clients: Map<string, Json>,
  errors: ConfigError[],
): string | undefined {
  const name = str(ref);
  if (name === undefined || name === '') return undefined;
  if (clients.has(name)) return name;
  const known = [...clients.keys()];
  const hint = closest(name, known);
  errors.push({
    path,
    message: `unknown client "${name}"${hint ? `; did you mean "${hint}"?` : ''} (clients: ${known.length > 0 ? known.join(', ') : 'none defined'})`,
  });
  return undefined;
}

interface CheckedRule {
  name: string;
  source: string;
  target: string;
  sourceFilter: string;
  targetPattern: string;
}

function checkRules(raw: Json, clients: Map<string, Json>, errors: ConfigError[]): CheckedRule[] {
  const names = new Set<string>();
  const enabled: CheckedRule[] = [];
  let enabledCount = 0;
  asObjects(raw.rules).forEach((rule, i) => {
    if (!rule) return;
    const path = `rules[${i}]`;
    const name = str(rule.name);
    if (name !== undefined && name !== '') {
      if (names.has(name))
        errors.push({ path: `${path}.name`, message: `duplicate rule name "${name}"; rule names must be unique` });
      names.add(name);
    }
    const isEnabled = rule.enabled !== false;
    if (isEnabled) enabledCount++;
    const source = isObject(rule.source) ? rule.source : {};
    const target = isObject(rule.target) ? rule.target : {};
    const sourceClient = checkClientRef(source.client, `${path}.source.client`, clients, errors);
    const targetClient = checkClientRef(target.client, `${path}.target.client`, clients, errors);
    if (sourceClient !== undefined && sourceClient === targetClient) {
      errors.push({
        path: `${path}.target.client`,
        message: `is the same client as source.client ("${sourceClient}"); a rule must forward between two different clients`,
      });
    }
    const sourceFilter = str(source.topic);
    const targetPattern = str(target.topic);
    const sourceProblem = sourceFilter ? filterError(sourceFilter) : null;
    if (sourceProblem)
      errors.push({
        path: `${path}.source.topic`,
        message: `"${sourceFilter}" is not a valid topic filter: ${sourceProblem}`,
      });
    if (sourceFilter && targetPattern && !sourceProblem) {
      const targetProblem = mappingError(sourceFilter, targetPattern);
      if (targetProblem)
        errors.push({
          path: `${path}.target.topic`,
          message: `"${targetPattern}" cannot take what the source filter matches: ${targetProblem}`,
        });
    }
    const callback = rule.callback;
    if (typeof callback === 'string' && !(ALLOWED_CALLBACKS as readonly string[]).includes(callback)) {
      const hint = closest(callback, ALLOWED_CALLBACKS);
      errors.push({
        path: `${path}.callback`,
        message: `unknown callback "${callback}"${hint ? `; did you mean "${hint}"?` : ''} (allowed: "EventCall", "CommandCall", or null / "None" for pass-through)`,
      });
    }
    if (isEnabled && name && sourceClient && targetClient && sourceFilter && targetPattern) {
      enabled.push({ name, source: sourceClient, target: targetClient, sourceFilter, targetPattern });
    }
  });
  if (Array.isArray(raw.rules) && enabledCount === 0) {
    errors.push({
      path: 'rules',
      message: 'no enabled rule: add at least one rule (with "enabled": true or no "enabled" field)',
    });
  }
  return enabled;
}

/**
 * Two enabled rules that forward into each other's source filter make a loop
 * (X -> Y -> X ...) unless the broker in between suppresses the forwarder's
 * own messages, which only MQTT 5's No Local option does.
 */
function checkLoops(rules: readonly CheckedRule[], raw: Json, clients: Map<string, Json>, errors: ConfigError[]): void {
  const mqtt = isObject(raw.mqtt) ? raw.mqtt : {};
  const protocolOf = (name: string): unknown => effective(clients.get(name) ?? {}, mqtt, 'protocol_version') ?? 4;
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i] as CheckedRule;
      const b = rules[j] as CheckedRule;
      if (a.target !== b.source || b.target !== a.source) continue;
      if (protocolOf(a.target) === 5 && protocolOf(b.target) === 5) continue;
      const aFeedsB = !filterError(a.targetPattern) && intersects(a.targetPattern, b.sourceFilter);
      const bFeedsA = !filterError(b.targetPattern) && intersects(b.targetPattern, a.sourceFilter);
      if (aFeedsB && bFeedsA) {
        errors.push({
          path: 'rules',
          message: `rules "${a.name}" and "${b.name}" forward into each other's source topics between "${a.source}" and "${a.target}"; messages would loop forever. Use disjoint topics (or protocol_version 5 on both clients, whose No Local option stops the echo)`,
        });
      }
    }
  }
}

function legacyWarnings(raw: Json, clients: Map<string, Json>, rules: readonly CheckedRule[]): string[] {
  const warnings: string[] = [];
  const mqtt = isObject(raw.mqtt) ? raw.mqtt : {};
  if ('qos' in mqtt && !('qos_policy' in raw)) {
    warnings.push(
      `mqtt.qos (${String(mqtt.qos)}) is not applied, as in the C forwarder; each message keeps the QoS it was published with (qos_policy "preserve"). Set "qos_policy": ${String(mqtt.qos)} to force that QoS`,
    );
  }
  if (mqtt.retain === true && !('retain_handling' in raw)) {
    warnings.push(
      'mqtt.retain (true) is not applied, as in the C forwarder; the retain flag is forwarded as received (retain_handling "preserve")',
    );
  }
  const used = new Set(rules.flatMap((r) => [r.source, r.target]));
  for (const name of clients.keys()) {
    if (!used.has(name)) warnings.push(`client "${name}" is used by no enabled rule; it will not be connected`);
  }
  return warnings;
}

/** Checks that need several fields or the file system. `baseDir` resolves relative TLS paths. */
export function checkSemantics(raw: unknown, baseDir: string): SemanticResult {
  const errors: ConfigError[] = [];
  if (!isObject(raw)) return { errors, warnings: [] };
  const clients = checkClients(raw, baseDir, errors);
  const rules = checkRules(raw, clients, errors);
  checkLoops(rules, raw, clients, errors);
  return { errors, warnings: legacyWarnings(raw, clients, rules) };
}
