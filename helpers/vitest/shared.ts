/**
 * The shared testbed in a test worker: one connection per worker, one request per broker or
 * topology (later asks for the same one get the same stand-in).
 */
import { inject } from 'vitest';
import type { StartedBroker } from '../model/index.js';
import { SharedTestbedClient } from '../testbed/shared-client.js';
import { keyText, type SharedKey } from '../testbed/shared-protocol.js';
import type { StartedTopology } from '../testbed/topology.js';
import '../report/vitest-context.js';

let client: Promise<SharedTestbedClient> | undefined;
const acquired = new Map<string, Promise<StartedBroker | StartedTopology>>();

function connection(): Promise<SharedTestbedClient> {
  client ??= SharedTestbedClient.connect(inject('sharedTestbed'));
  return client;
}

export function sharedBroker(target: Extract<SharedKey, { kind: 'broker' }>['target']): Promise<StartedBroker> {
  return acquire({ kind: 'broker', target }, (c, key) => c.broker(key)) as Promise<StartedBroker>;
}

export function sharedTopology(id: string): Promise<StartedTopology> {
  return acquire({ kind: 'topology', id }, (c, key) => c.topology(key)) as Promise<StartedTopology>;
}

function acquire<K extends SharedKey>(
  key: K,
  get: (client: SharedTestbedClient, key: K) => Promise<StartedBroker | StartedTopology>,
): Promise<StartedBroker | StartedTopology> {
  const text = keyText(key);
  let entry = acquired.get(text);
  if (!entry) {
    entry = connection().then((c) => get(c, key));
    entry.catch(() => undefined); // awaited (and reported) by the test that needs it
    acquired.set(text, entry);
  }
  return entry;
}
