/**
 * Child-run fixture for suites/security.test.ts (run with child-report.config.ts, so the run
 * writes its real reports): starts a mosquitto-secure forwarding topology, forwards a message,
 * and puts into the run's results what a report could carry: the forwarder config as stored,
 * the log tails of the forwarder and both brokers, a result note that (carelessly) holds the
 * password, and a failure message from a client that was refused while its URL carried the
 * password. The parent test reads every report file and the console output for the password.
 */
import { expect, test } from 'vitest';
import { forwarderFromSpec } from '../../forwarders/registry.js';
import { connectTestClient } from '../../mqtt/client.js';
import { securityMaterial } from '../../targets/security-material.js';
import { topologySubject } from '../../testbed/subject.js';
import { startTopology } from '../../testbed/topology.js';
import { runPlan, runSettings } from '../provided-plan.js';
import { recordResult } from '../record-result.js';

const LOG_LINES = 500;

test('a secured topology forwards; its config and logs go into the report', { timeout: 120_000 }, async (context) => {
  const settings = runSettings();
  const plan = runPlan().topologies.find(
    (t) => t.status === 'ready' && t.downstream === 'mosquitto-secure' && t.upstream === 'mosquitto-secure',
  );
  if (!plan) throw new Error('no mosquitto-secure topology can run here');
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
    const ns = topology.route('pass').namespace('secret');
    const subscriber = await connectTestClient({ broker: topology.upstream, role: 'sub' });
    await subscriber.subscribe(ns.expect('m'), { qos: 1 });
    const publisher = await connectTestClient({ broker: topology.downstream, role: 'pub' });
    await publisher.publish(ns.publish('m'), 'through TLS', { qos: 1 });
    await subscriber.messages.waitFor(1, 10_000, `the message on ${ns.expect('m')}`);
    const { password } = await securityMaterial(settings);
    await recordResult(context, {
      suite: 'smoke',
      scenario: 'secured topology: what a report may carry',
      subject: topologySubject(topology),
      notes: [
        `forwarder config as stored: ${topology.forwarder.configText}`,
        `forwarder log tail: ${await topology.forwarder.logTail(LOG_LINES)}`,
        `downstream log tail: ${await topology.downstream.logTail(LOG_LINES)}`,
        `upstream log tail: ${await topology.upstream.logTail(LOG_LINES)}`,
        // A careless test: the reporter's scrub is the last line of defence.
        `a note that carries the password itself: ${password}`,
      ],
    });
  } finally {
    await topology.dispose();
  }
});

test(
  'a client refused while its URL carried the password fails this test with a redacted message',
  { timeout: 60_000 },
  async () => {
    const settings = runSettings();
    const plan = runPlan().targets.find((t) => t.name === 'mosquitto-secure' && t.status === 'ready');
    if (!plan) throw new Error('mosquitto-secure cannot run here');
    const { username, password, caPem } = await securityMaterial(settings);
    // Credentials in a URL (the way users often write them), and a wrong password in the options: refused.
    const broker = {
      label: 'mosquitto-secure (unreachable on purpose)',
      url: `mqtts://${username}:${password}@127.0.0.1:1`,
      clientOptions: { ca: caPem },
    };
    const connected = await connectTestClient({ broker, role: 'leak', connectTimeoutMs: 2_000 }).then(
      () => 'connected',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect.fail(`deliberate failure, with the connect error: ${connected}`);
  },
);
