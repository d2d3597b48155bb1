// Retained messages and retained deletes through the forwarder, on MQTT 5
// (retain-as-published) and MQTT 3.1.1, and no re-forwarding of stored
// retained messages when the forwarder re-subscribes after a reconnect.

import { requireOnThisMachine } from '../../../helpers/vitest/skip.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureForwarderBundle } from '../support/bundle.js';
import {
  type Received,
  closeAllClients,
  connectClient,
  subscribeCollector,
  waitUntil,
} from '../support/mqtt-clients.js';
import { ForwarderProcess, MosquittoBroker, stopAllProcesses, MOSQUITTO_MISSING } from '../support/processes.js';
import { forwarderConfig } from '../support/topology.js';

/** Subscribes late on `port` and returns the retained messages the broker holds for `filter`. */
async function retainedOn(port: number, filter: string, probeTopic: string): Promise<Received[]> {
  const client = await connectClient(port);
  const seen = await subscribeCollector(client, filter, 1);
  await client.subscribeAsync(probeTopic, { qos: 1 });
  // Retained messages are sent right after SUBACK; a probe published afterwards marks the end of them.
  await client.publishAsync(probeTopic, 'probe', { qos: 1 });
  await seen.waitFor(1, `probe on ${probeTopic}`, (m) => m.topic === probeTopic);
  await client.endAsync();
  return seen.messages.filter((m) => m.retain);
}

describe('retained messages', { timeout: 60_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: forwards a stored retained message once at startup, and a retained delete as a delete`, async () => {
      const downstream = await MosquittoBroker.start();
      const upstream = await MosquittoBroker.start();
      const down = await connectClient(downstream.port);
      await down.publishAsync('r/stored', 'kept', { qos: 1, retain: true });
      const forwarder = ForwarderProcess.spawn(
        forwarderConfig(downstream, upstream, [{ name: 'r', from: 'r/#', to: 'r/#' }], {
          mqtt: { protocol_version: protocolVersion },
        }),
      );
      await forwarder.waitForReady();
      const live = await subscribeCollector(await connectClient(upstream.port), 'r/#', 1);
      await live.waitFor(1, 'the stored retained message', (m) => m.topic === 'r/stored');

      expect((await retainedOn(upstream.port, 'r/stored', 'probe/1')).map((m) => m.payload.toString())).toEqual([
        'kept',
      ]);

      await down.publishAsync('r/stored', '', { qos: 1, retain: true });
      await live.waitFor(1, 'the retained delete', (m) => m.topic === 'r/stored' && m.payload.length === 0);
      expect(await retainedOn(upstream.port, 'r/stored', 'probe/2')).toEqual([]);
      expect(await forwarder.stop()).toBe(0);
    });
  }

  it('MQTT 5: a live retained publish stays retained upstream (retain as published)', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await MosquittoBroker.start();
    const forwarder = ForwarderProcess.spawn(
      forwarderConfig(downstream, upstream, [{ name: 'r', from: 'r/#', to: 'up/#' }], {
        mqtt: { protocol_version: 5 },
      }),
    );
    await forwarder.waitForReady();
    const live = await subscribeCollector(await connectClient(upstream.port), 'up/#', 1);
    const down = await connectClient(downstream.port);
    await down.publishAsync('r/live', 'v1', { qos: 1, retain: true });
    await down.publishAsync('r/plain', 'p', { qos: 1 });
    await live.waitFor(2, 'both live messages', (m) => m.topic.startsWith('up/'));
    const retained = await retainedOn(upstream.port, 'up/#', 'probe/3');
    expect(retained.map((m) => [m.topic, m.payload.toString()])).toEqual([['up/live', 'v1']]);
  });

  it('MQTT 3.1.1 limitation: a live retained publish arrives unretained and is forwarded unretained', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await MosquittoBroker.start();
    const forwarder = ForwarderProcess.spawn(
      forwarderConfig(downstream, upstream, [{ name: 'r', from: 'r/#', to: 'r/#' }]),
    );
    await forwarder.waitForReady();
    const live = await subscribeCollector(await connectClient(upstream.port), 'r/#', 1);
    await (await connectClient(downstream.port)).publishAsync('r/live', 'v1', { qos: 1, retain: true });
    await live.waitFor(1, 'the live message', (m) => m.topic === 'r/live');
    expect(await retainedOn(upstream.port, 'r/#', 'probe/4')).toEqual([]);
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: does not re-forward stored retained messages when it re-subscribes after a reconnect`, async () => {
      const downstream = await MosquittoBroker.start({ persistence: true });
      const upstream = await MosquittoBroker.start();
      await (await connectClient(downstream.port)).publishAsync('r/stored', 'kept', { qos: 1, retain: true });
      const forwarder = ForwarderProcess.spawn(
        forwarderConfig(downstream, upstream, [{ name: 'r', from: 'r/#', to: 'r/#' }], {
          mqtt: { protocol_version: protocolVersion },
        }),
      );
      // Subscribed before the forwarder started: sees the startup forward live.
      const live = await subscribeCollector(await connectClient(upstream.port), 'r/#', 1);
      await forwarder.waitForReady();
      await live.waitFor(1, 'the stored retained message, forwarded at startup', (m) => m.topic === 'r/stored');

      await downstream.restart(); // keeps the retained message (persistence); the forwarder's clean session is gone
      const subscribedTwice = () =>
        forwarder.records.filter((r) => r.msg === 'subscribed' && r.client === 'down').length === 2;
      await waitUntil(subscribedTwice, 'the forwarder to re-subscribe on the restarted downstream broker');
      // A replay would be forwarded before this probe, which is published after the re-subscription.
      await (await connectClient(downstream.port)).publishAsync('r/probe', 'after', { qos: 1 });
      await live.waitFor(1, 'the probe', (m) => m.topic === 'r/probe');
      expect(live.messages.map((m) => m.topic)).toEqual(['r/stored', 'r/probe']);
      // Settled: the probe's upstream PUBACK may reach the forwarder after the subscriber got the probe.
      const stats = await forwarder.settledStats();
      // 3.1.1 has no Retain Handling: the broker replays, the forwarder drops and counts it.
      expect((stats.dropped as Record<string, number>).retained_replay).toBe(protocolVersion === 4 ? 1 : 0);
      expect(stats.forwarded).toBe(2); // the stored message at startup, and the probe
    });
  }
});
