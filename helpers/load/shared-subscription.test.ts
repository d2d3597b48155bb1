import { requireOnThisMachine } from '../vitest/skip.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from './run-load.js';
import { MOSQUITTO_MISSING, startLocalMosquitto, type LocalMosquitto } from './testing/local-mosquitto.js';

let mosquitto: LocalMosquitto | undefined;

afterEach(async () => {
  await mosquitto?.stop();
  mosquitto = undefined;
});

// aedes has no shared subscriptions; mosquitto 2 has them for MQTT 3.1.1 and 5.
describe('subscriptionMode "shared" against a local mosquitto', { timeout: 30_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  it('counts the members of one $share group as one receiver group', async () => {
    mosquitto = await startLocalMosquitto();
    const result = await runLoad({
      publishUrl: mosquitto.url,
      subscribeUrl: mosquitto.url,
      workload: {
        name: 'shared',
        publishers: 2,
        subscribers: 3,
        subscriptionMode: 'shared',
        qos: 1,
        protocolVersion: 5,
        payload: { kind: 'telemetry', minPoints: 10, maxPoints: 20 },
        messages: 300,
      },
      topicFor: (i) => `mtb/shared/pub-${i}`,
      subscribeFilter: 'mtb/shared/#',
      clientIdPrefix: 'shared',
    });
    expect(result.target.subscribeFilter).toBe('$share/shared/mtb/shared/#');
    expect(result.errors).toEqual([]);
    expect(result.counters).toMatchObject({
      receiverGroups: 1,
      sent: 600,
      expected: 600,
      received: 600,
      lost: 0,
      duplicates: 0,
    });
  });

  it('counts every subscriber as its own receiver group in "all" mode', async () => {
    mosquitto = await startLocalMosquitto();
    const result = await runLoad({
      publishUrl: mosquitto.url,
      subscribeUrl: mosquitto.url,
      workload: {
        name: 'fan-out',
        publishers: 1,
        subscribers: 3,
        qos: 2,
        payload: { kind: 'fixed', bytes: 1024 },
        messages: 300,
        ratePerSecond: 3_000,
      },
      topicFor: () => 'mtb/fanout/pub-0',
      subscribeFilter: 'mtb/fanout/#',
      clientIdPrefix: 'fanout',
    });
    expect(result.counters).toMatchObject({
      receiverGroups: 3,
      sent: 300,
      expected: 900,
      received: 900,
      lost: 0,
      duplicates: 0,
    });
    expect(result.latency.endToEndFromIntended?.count).toBe(900);
  });
});
