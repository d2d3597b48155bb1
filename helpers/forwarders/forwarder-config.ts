import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerClientOptions, Endpoint, ForwardRule } from '../model/index.js';
import { runContext, uniqueName } from '../runtime/run-context.js';

/**
 * A forwarder config in the original project's schema (seed 000, `perf_config.json`): `mqtt`
 * defaults, `clients[]` named downstream/upstream, `rules[]` source -> target with a callback.
 * Forwarders that read this schema (the reference forwarder, the original C forwarder's image,
 * a team's own command) get the same file.
 */
export interface ForwarderConfigInput {
  downstream: Endpoint;
  upstream: Endpoint;
  rules: ForwardRule[];
  clientIdPrefix: string;
  /** Persistent sessions on both brokers (clean_session false). */
  persistentSession: boolean;
  /** Written as mqtt.protocol_version (a reference forwarder extension) when given. */
  protocolVersion?: 4 | 5;
  /** Credentials and TLS trust per client (secured brokers); absent: the client connects anonymously over TCP. */
  downstreamSecurity?: ClientSecurity;
  upstreamSecurity?: ClientSecurity;
  /** Optional extension fields understood by the reference forwarder; other forwarders ignore unknown fields or must be given a plain config. */
  extensions?: Record<string, unknown>;
}

const CALLBACK_BY_ROUTE = { pass: null, event: 'EventCall' } as const;

export function forwarderConfig(input: ForwarderConfigInput): string {
  const config = {
    log_level: 'info',
    mqtt: {
      port: 1883,
      keepalive: 60,
      qos: 2,
      retain: false,
      clean_session: !input.persistentSession,
      username: null,
      password: null,
      ...(input.protocolVersion ? { protocol_version: input.protocolVersion } : {}),
    },
    clients: [
      {
        name: 'downstream',
        ip: input.downstream.host,
        port: input.downstream.port,
        client_id: `${input.clientIdPrefix}-down`,
        ...securityFields(input.downstreamSecurity),
      },
      {
        name: 'upstream',
        ip: input.upstream.host,
        port: input.upstream.port,
        client_id: `${input.clientIdPrefix}-up`,
        ...securityFields(input.upstreamSecurity),
      },
    ],
    rules: input.rules.map((rule) => ({
      name: rule.route,
      description: `mqtt-testbench route "${rule.route}"`,
      source: { client: 'downstream', topic: rule.sourceFilter },
      target: { client: 'upstream', topic: rule.targetPattern },
      callback: CALLBACK_BY_ROUTE[rule.route],
      enabled: true,
    })),
    ...input.extensions,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** What one forwarder client needs to be let in: credentials, and the CA file (a path where the forwarder runs). */
export interface ClientSecurity {
  username?: string;
  password?: string;
  caFile?: string;
}

/**
 * A broker's client options as forwarder-config fields; `caFileFor` puts the CA's PEM where the
 * forwarder can read it (a file in the run's folder, or a path inside its container) and says where.
 */
export function clientSecurity(
  options: BrokerClientOptions | undefined,
  caFileFor: (pem: string) => string,
): ClientSecurity | undefined {
  if (!options || (options.username === undefined && options.password === undefined && options.ca === undefined))
    return undefined;
  return {
    username: options.username,
    password: options.password,
    caFile: options.ca === undefined ? undefined : caFileFor(options.ca),
  };
}

/** Writes a CA into the run's folder (removed with it) for a forwarder running on this host; returns its path. */
export function writeRunCaFile(pem: string): string {
  const path = join(runContext().runDir, `${uniqueName('ca')}.pem`);
  writeFileSync(path, pem);
  return path;
}

/** Per-client fields of the reference forwarder's schema: `username`, `password`, `tls` (CA file, verify the certificate and host). */
function securityFields(security: ClientSecurity | undefined): Record<string, unknown> {
  if (!security) return {};
  return {
    ...(security.username !== undefined ? { username: security.username } : {}),
    ...(security.password !== undefined ? { password: security.password } : {}),
    ...(security.caFile !== undefined ? { tls: { ca: security.caFile, reject_unauthorized: true } } : {}),
  };
}
