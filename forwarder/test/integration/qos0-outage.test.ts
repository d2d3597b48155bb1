// QoS 0 while the upstream broker is down: a bounded queue (max_queued), the
// rest dropped and counted as queue_full; the queued ones are delivered after
// the reconnect.

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

const SENT = 500;
const MAX_QUEUED = 100;

describe('QoS 0 during an upstream outage', { timeout: 60_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });

  it(`queues ${MAX_QUEUED}, drops the rest as queue_full, delivers the queued ones after the reconnect`, async () => {
    const downstream = await MosquittoBroker.start();
    // queue_qos0_messages lets the test subscriber's persistent session keep QoS 0 messages while it reconnects.
    const upstream = await MosquittoBroker.start({
      persistence: true,
      maxInflightMessages: NO_INFLIGHT_WINDOW,
      extraConfig: ['queue_qos0_messages true'],
    });
    const forwarder = ForwarderProcess.spawn(
      forwarderConfig(downstream, upstream, [{ name: 'q0', from: 'q0/#', to: 'q0/#' }], { max_queued: MAX_QUEUED }),
    );
    await forwarder.waitForReady();
    const collector = await subscribeCollector(
      await connectClient(upstream.port, { clientId: 'it-q0-sub', clean: false }),
      'q0/#',
      1,
    );

    await upstream.stop();
    await forwarder.waitForLog((r) => r.msg === 'connection lost' && r.client === 'up', 'the upstream connection loss');
    const publisher = await connectClient(downstream.port);
    for (let seq = 0; seq < SENT; seq++) await publisher.publishAsync('q0/a', seqPayload(seq), { qos: 0 });
    const during = await forwarder.statsWhen((s) => s.received === SENT, 'all messages received');
    expect(during.queued).toBe(MAX_QUEUED);
    expect((during.dropped as Record<string, number>).queue_full).toBe(SENT - MAX_QUEUED);

    await upstream.restart();
    await waitUntil(
      () => collector.messages.length >= MAX_QUEUED,
      () => `${MAX_QUEUED} queued messages upstream (have ${collector.messages.length})`,
    );
    // The oldest ones were queued; the later ones were dropped.
    expect(collector.messages.map((m) => seqOf(m.payload))).toEqual(Array.from({ length: MAX_QUEUED }, (_, i) => i));
    const after = await forwarder.statsWhen((s) => s.queued === 0 && s.inflight_target === 0, 'the queue to drain');
    expect(after.forwarded).toBe(MAX_QUEUED);
  });
});
