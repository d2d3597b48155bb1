// kill -9 of the forwarder mid-stream, then a restart: with persistent
// sessions (clean_session false, fixed client ids) nothing is lost at QoS 1
// or 2; duplicates are allowed (at-least-once across a crash) and reported.
// The downstream broker runs without an in-flight window: mosquitto 2.0.11
// would otherwise strand messages queued behind it (see NO_INFLIGHT_WINDOW).

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
import { forwarderConfig } from '../support/topology.js';

const COUNT = 6000;
const RATE_PER_S = 3000;

describe('forwarder crash and restart', { timeout: 90_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });

  for (const [qos, protocolVersion] of [
    [1, 4],
    [2, 4],
    [1, 5],
  ] as const) {
    it(`loses no QoS ${qos} message over kill -9 and restart (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}, clean_session false)`, async () => {
      const downstream = await MosquittoBroker.start({ maxInflightMessages: NO_INFLIGHT_WINDOW });
      const upstream = await MosquittoBroker.start();
      const config = forwarderConfig(downstream, upstream, [{ name: 'seq', from: 'seq/#', to: 'seq/#' }], {
        idPrefix: `kill-q${qos}-v${protocolVersion}`,
        mqtt: { clean_session: false, protocol_version: protocolVersion },
      });
      const first = ForwarderProcess.spawn(config);
      await first.waitForReady();
      const collector = await subscribeCollector(await connectClient(upstream.port), 'seq/#', 2);
      const publisher = await connectClient(downstream.port);

      let second = null as ForwarderProcess | null;
      let crashed = null as Promise<void> | null;
      await publishSequence(publisher, 'seq/a', COUNT, qos, RATE_PER_S, (seq) => {
        if (seq !== COUNT / 3) return;
        crashed = (async () => {
          await first.kill9();
          second = ForwarderProcess.spawn(config);
          await second.waitForReady();
        })();
      });
      await crashed;
      const seqs = () => collector.messages.map((m) => seqOf(m.payload));
      try {
        await waitUntil(
          () => new Set(seqs()).size === COUNT,
          () => `${COUNT} unique messages upstream (have ${new Set(seqs()).size})`,
          30_000,
        );
      } catch (error) {
        const have = new Set(seqs());
        const missing = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !have.has(i));
        const stats = second ? await second.freshStats() : null;
        throw new Error(
          `${(error as Error).message}; missing ${missing.length}: ${missing.slice(0, 5).join(',')}..${missing.slice(-5).join(',')}; stats of the restarted forwarder: ${JSON.stringify(stats)}\n${second?.rawStderr.filter((l) => !l.includes('"stats"')).join('\n')}`,
        );
      }

      const unique = new Set(seqs());
      expect(unique.size).toBe(COUNT);
      expect(Math.min(...unique)).toBe(0);
      expect(Math.max(...unique)).toBe(COUNT - 1);
      expect(collector.messages.every((m) => m.qos === qos)).toBe(true);
      const duplicates = collector.messages.length - unique.size;
      console.log(
        `QoS ${qos} v${protocolVersion}: ${COUNT} sent, ${unique.size} unique, ${duplicates} duplicates after kill -9`,
      );
      expect(await second?.stop()).toBe(0);
    });
  }
});
