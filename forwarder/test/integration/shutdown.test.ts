// SIGTERM: intake stops, in-flight messages drain (bounded by
// drain_timeout_ms), the connections close, exit code 0. What could not be
// drained stays unacknowledged at the source and reaches the target after a
// restart (persistent session).

import { requireOnThisMachine } from '../../../helpers/vitest/skip.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureForwarderBundle } from '../support/bundle.js';
import {
  closeAllClients,
  connectClient,
  seqOf,
  seqPayload,
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
import { forwarderConfig } from '../support/topology.js';

const COUNT = 50;
const DRAIN_TIMEOUT_MS = 300;

describe('graceful shutdown', { timeout: 60_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });

  it('drains what is in flight, disconnects and exits 0', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await MosquittoBroker.start();
    const forwarder = ForwarderProcess.spawn(
      forwarderConfig(downstream, upstream, [{ name: 's', from: 's/#', to: 's/#' }]),
    );
    await forwarder.waitForReady();
    const collector = await subscribeCollector(await connectClient(upstream.port), 's/#', 1);
    const publisher = await connectClient(downstream.port);
    await Promise.all(
      Array.from({ length: COUNT }, (_, seq) => publisher.publishAsync('s/a', seqPayload(seq), { qos: 1 })),
    );
    expect(await forwarder.stop()).toBe(0);
    const stopped = await forwarder.waitForLog((r) => r.msg === 'stopped', '"stopped"');
    await waitUntil(() => collector.messages.length === stopped.forwarded, 'every forwarded message upstream');
    expect(forwarder.records.some((r) => r.msg === 'shutting down' && r.reason === 'SIGTERM')).toBe(true);
    expect(stopped.inflight_source).toBe(0);
    expect(stopped.inflight_target).toBe(0);
  });

  it('stops after drain_timeout_ms when the target is down, and loses nothing at QoS 1 with persistent sessions', async () => {
    const downstream = await MosquittoBroker.start({ maxInflightMessages: NO_INFLIGHT_WINDOW });
    const upstream = await MosquittoBroker.start({ persistence: true, maxInflightMessages: NO_INFLIGHT_WINDOW });
    const config = forwarderConfig(downstream, upstream, [{ name: 's', from: 's/#', to: 's/#' }], {
      idPrefix: 'it-drain',
      drain_timeout_ms: DRAIN_TIMEOUT_MS,
      mqtt: { clean_session: false },
    });
    const first = ForwarderProcess.spawn(config);
    await first.waitForReady();
    const collector = await subscribeCollector(
      await connectClient(upstream.port, { clientId: 'it-drain-sub', clean: false }),
      's/#',
      1,
    );
    await upstream.stop();
    await first.waitForLog((r) => r.msg === 'connection lost' && r.client === 'up', 'the upstream connection loss');
    const publisher = await connectClient(downstream.port);
    for (let seq = 0; seq < COUNT; seq++) await publisher.publishAsync('s/a', seqPayload(seq), { qos: 1 });
    const startedAt = Date.now();
    expect(await first.stop()).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(DRAIN_TIMEOUT_MS + 5000);
    const timeout = await first.waitForLog(
      (r) => String(r.msg).startsWith('drain timeout'),
      'the drain timeout warning',
    );
    expect(timeout.inflight_source).toBe(COUNT);

    await upstream.restart();
    const second = ForwarderProcess.spawn(config);
    await second.waitForReady();
    await waitUntil(
      () => new Set(collector.messages.map((m) => seqOf(m.payload))).size === COUNT,
      () => `${COUNT} messages upstream (have ${collector.messages.length})`,
    );
    expect(new Set(collector.messages.map((m) => seqOf(m.payload))).size).toBe(COUNT);
    expect(await second.stop()).toBe(0);
  });
});
