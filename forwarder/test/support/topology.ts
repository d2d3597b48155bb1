// A downstream broker, an upstream broker, and a forwarder config between them.

import type { MosquittoBroker } from './processes.js';

export interface RuleSpec {
  name: string;
  from: string;
  to: string;
  callback?: string | null;
  /** Default: downstream -> upstream. */
  reverse?: boolean;
  [extra: string]: unknown;
}

export function forwarderConfig(
  downstream: MosquittoBroker,
  upstream: MosquittoBroker,
  rules: RuleSpec[],
  options: { clientFields?: Record<string, unknown>; idPrefix?: string; [top: string]: unknown } = {},
): Record<string, unknown> {
  const { clientFields = {}, idPrefix = 'it', ...top } = options;
  return {
    log_level: 'info',
    stats_interval_ms: 0,
    ...top,
    clients: [
      { name: 'down', ip: '127.0.0.1', port: downstream.port, client_id: `${idPrefix}-fwd-down`, ...clientFields },
      { name: 'up', ip: '127.0.0.1', port: upstream.port, client_id: `${idPrefix}-fwd-up`, ...clientFields },
    ],
    rules: rules.map(({ name, from, to, callback = null, reverse = false, ...extra }) => ({
      name,
      source: { client: reverse ? 'up' : 'down', topic: from },
      target: { client: reverse ? 'down' : 'up', topic: to },
      callback,
      ...extra,
    })),
  };
}
