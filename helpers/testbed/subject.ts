import type { ResultSubject, StartedBroker } from '../model/index.js';
import type { StartedTopology } from './topology.js';

/** How a result names the broker or topology it measured. */
export function brokerSubject(broker: StartedBroker): ResultSubject {
  return { kind: 'broker', target: broker.target, runtime: broker.runtime, version: broker.version };
}

export function topologySubject(topology: StartedTopology): ResultSubject {
  return {
    kind: 'topology',
    id: topology.id,
    downstream: topology.downstream.target,
    upstream: topology.upstream.target,
    forwarder: topology.forwarder.name,
    runtime: topology.runtime,
    versions: { downstream: topology.downstream.version, upstream: topology.upstream.version },
  };
}
