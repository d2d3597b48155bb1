/**
 * Child-run fixture: a small complete suite. Starts the run's first forwarding topology that can
 * run, streams QoS 1 messages through it, expects every one upstream, disposes the topology and
 * expects nothing of the run left behind.
 */
import { expect, test } from 'vitest';
import { forwarderFromSpec } from '../../forwarders/registry.js';
import { runLoad } from '../../load/run-load.js';
import { shortRunId, uniqueName } from '../../runtime/run-context.js';
import { runResources } from '../../testbed/leftovers.js';
import { startTopology } from '../../testbed/topology.js';
import { runPlan, runSettings } from '../provided-plan.js';
import { connectOptionsFor } from '../../security/client-options.js';

test('deliver QoS 1 messages through a topology and leave nothing behind', { timeout: 120_000 }, async () => {
  const settings = runSettings();
  const plan = runPlan().topologies.find((t) => t.status === 'ready');
  if (!plan) throw new Error('no forwarding topology can run here');
  const topology = await startTopology(
    {
      downstream: plan.downstream,
      upstream: plan.upstream,
      runtime: plan.runtime,
      forwarder: forwarderFromSpec(plan.forwarder, settings),
    },
    settings,
  );
  try {
    const ns = topology.route('pass').namespace('deliver');
    const load = await runLoad({
      publishUrl: topology.downstream.url,
      subscribeUrl: topology.upstream.url,
      connectOptions: connectOptionsFor(topology.downstream, topology.upstream),
      workload: {
        name: 'deliver',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        messages: 2_000,
        ratePerSecond: 2_000,
      },
      topicFor: () => ns.publish('p'),
      subscribeFilter: ns.expect('p'),
      clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('dl')}`,
    });
    expect(load.errors, 'the load run reported errors').toEqual([]);
    expect(load.counters, `${topology.id}: not every confirmed QoS 1 message arrived`).toMatchObject({
      sent: 2_000,
      received: 2_000,
      lost: 0,
      unexpected: 0,
      corrupted: 0,
    });
  } finally {
    await topology.dispose();
  }
  expect(await runResources(), 'containers, networks or processes of this run left after dispose').toEqual({
    containers: [],
    networks: [],
    processes: [],
  });
});
