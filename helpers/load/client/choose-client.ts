import type { IClientOptions } from 'mqtt';
import { LeanClient } from './lean/lean-client.js';
import { leanSupport, type LeanOptions } from './lean/options.js';
import type { ConnectSpec, LoadClient, LoadClientKind } from './types.js';

/** The workload's `client` field: "auto" takes the lean client wherever it can serve the run. */
export type ClientPreference = 'auto' | LoadClientKind;

export interface ClientChoice {
  kind: LoadClientKind;
  /** Why, in a few words, for the report (e.g. why mqtt.js served an "auto" run). */
  reason: string;
}

export class ClientChoiceError extends Error {
  override name = 'ClientChoiceError';
}

/**
 * Picks the client for every connection of one run, once, at the edge. "lean" with options only
 * mqtt.js has is refused with the option named, rather than half-honoured.
 */
export function chooseClient(
  preference: ClientPreference,
  urls: readonly string[],
  options?: IClientOptions,
): ClientChoice {
  if (preference === 'mqtt.js') return { kind: 'mqtt.js', reason: 'requested (workload client "mqtt.js")' };
  for (const url of urls) {
    const support = leanSupport(url, options);
    if (support.supported) continue;
    if (preference === 'lean') {
      throw new ClientChoiceError(
        `workload client "lean" cannot serve this run: it does not support ${support.reason}. Use client "auto" (mqtt.js then) or "mqtt.js".`,
      );
    }
    return { kind: 'mqtt.js', reason: `the lean client does not support ${support.reason}` };
  }
  return {
    kind: 'lean',
    reason:
      preference === 'lean'
        ? 'requested (workload client "lean")'
        : 'auto: TCP/TLS without reconnects or MQTT 5 properties',
  };
}

/**
 * Connects one client of the chosen kind. mqtt.js is loaded on first use: a run on the lean client
 * does not carry it (about 20 MB of the harness's RSS; measuring it: docs/benchmarks.md).
 */
export async function connectClient(kind: LoadClientKind, spec: ConnectSpec): Promise<LoadClient> {
  if (kind === 'mqtt.js') return (await import('./mqttjs-client.js')).MqttJsLoadClient.connect(spec);
  const support = leanSupport(spec.url, spec.options);
  if (!support.supported)
    throw new ClientChoiceError(`${spec.clientId}: the lean client does not support ${support.reason}`);
  const options: LeanOptions = support.options;
  return LeanClient.connect(spec, options);
}
