import type { Endpoint } from '../testbed/types.js';
import type { ForwardRule } from './forwarder.js';

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
      { name: 'downstream', ip: input.downstream.host, port: input.downstream.port, client_id: `${input.clientIdPrefix}-down` },
      { name: 'upstream', ip: input.upstream.host, port: input.upstream.port, client_id: `${input.clientIdPrefix}-up` },
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
