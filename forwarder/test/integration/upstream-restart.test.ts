// The upstream broker restarts mid-stream: the forwarder reconnects, re-sends
// what was in flight, and nothing is lost at QoS 1.

import { requireOnThisMachine } from '../../../helpers/vitest/skip.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureForwarderBundle } from '../support/bundle.js';
import {
  closeAllClients,
  connectClient,
  publishSequence,
  seqOf,
  subscribeCollector,
  waitUntil,
} from '../support/mqtt-clients.js';
import {
  ForwarderProcess,
  MosquittoBroker,
  NO_INFLIGHT_WINDOW,
  stopAllProcesses,
  MOSQUITTO_MISSING,
} from '../support/processes.js';

const COUNT = 3000;
const RATE_PER_S = 1000;
const OUTAGE_MS = 1500;

describe('upstream broker restart', { timeout: 60_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });

  it('loses no QoS 1 message when the upstream broker restarts mid-stream', async () => {
    const downstream = await MosquittoBroker.start();
    // Persistence keeps the test subscriber's session (and its queued messages) across the restart.
    const upstream = await MosquittoBroker.start({ persistence: true, maxInflightMessages: NO_INFLIGHT_WINDOW });
    const forwarder = ForwarderProcess.spawn({
      clients: [
        { name: 'down', ip: '127.0.0.1', port: downstream.port, client_id: 'it-restart-down' },
        { name: 'up', ip: '127.0.0.1', port: upstream.port, client_id: 'it-restart-up' },
      ],
      rules: [{ name: 'r', source: { client: 'down', topic: 'seq/#' }, target: { client: 'up', topic: 'seq/#' } }],
    });
    await forwarder.waitForReady();
    const subscriber = await connectClient(upstream.port, { clientId: 'it-restart-sub', clean: false });
    const collector = await subscribeCollector(subscriber, 'seq/#', 1);
    const publisher = await connectClient(downstream.port);

    let restarted = null as Promise<void> | null;
    await publishSequence(publisher, 'seq/a', COUNT, 1, RATE_PER_S, (seq) => {
      if (seq === COUNT / 3) {
        restarted = (async () => {
          await upstream.stop();
          await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage itself
          await upstream.restart();
        })();
      }
    });
    await restarted;
    const unique = () => new Set(collector.messages.map((m) => seqOf(m.payload))).size;
    await waitUntil(
      () => unique() === COUNT,
      () => `${COUNT} unique messages upstream (have ${unique()})`,
      30_000,
    );

    expect(unique()).toBe(COUNT);
    expect(collector.messages.every((m) => m.qos === 1)).toBe(true);
    await forwarder.waitForLog((r) => r.msg === 'forwarder reconnected' && r.client === 'up', 'the upstream reconnect');
    // Every message upstream, and then nothing left in flight: all upstream PUBACKs in, every source message acknowledged.
    const stats = await forwarder.settledStats();
    const problems = forwarder.records.filter((r) => r.level === 'warn' || r.level === 'error');
    expect(
      stats.dropped,
      `forwarder warnings and errors:\n${problems.map((r) => JSON.stringify(r)).join('\n')}`,
    ).toEqual(Object.fromEntries(Object.keys(stats.dropped as Record<string, number>).map((reason) => [reason, 0])));
    expect(await forwarder.stop()).toBe(0);
  });
});
