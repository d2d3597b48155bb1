import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOSQUITTO_MISSING, startLocalMosquitto, type LocalMosquitto } from '../load/testing/local-mosquitto.js';
import { startFaultyProxy } from '../selftest/faulty-proxy.js';
import { mqttProbe } from './mqtt-probe.js';

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe.skipIf(MOSQUITTO_MISSING)('mqttProbe', () => {
  let broker: LocalMosquitto;
  beforeAll(async () => {
    broker = await startLocalMosquitto('stock');
  });
  afterAll(() => broker?.stop());

  // A pending 10 s wait after a successful probe kept every `vitest run` and CLI run alive for up
  // to the whole probe budget after its work was done (13 s instead of 5.5 s for a child run).
  it('leaves no timer behind once the probe message arrived', async () => {
    const before = timers();
    const { elapsedMs } = await mqttProbe({
      publishTo: { url: broker.url, label: 'mosquitto' },
      subscribeTo: { url: broker.url, label: 'mosquitto' },
      publishTopic: 'mtb/probe-test',
      timeoutMs: 10_000,
    });
    expect(elapsedMs).toBeLessThan(10_000);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  // A probe that ran out of time in a streak (run 20261207-054505-c76600) said only "1 published":
  // not whether connecting or the message took the budget.
  it('says when each step ended when no probe message arrives', { timeout: 15_000 }, async () => {
    const probe = mqttProbe({
      publishTo: { url: broker.url, label: 'mosquitto' },
      subscribeTo: { url: broker.url, label: 'mosquitto' },
      publishTopic: 'mtb/probe-test/sent',
      expectTopic: 'mtb/probe-test/never',
      timeoutMs: 3_000,
      republishMs: 1_000,
    });
    await expect(probe).rejects.toThrow(
      /^no probe message arrived on mtb\/probe-test\/never \((\d) published, \1 acknowledged\) within 3000 ms \(connected at \d+ ms, subscribed at \d+ ms, PUBACK 1 at \d+ ms(, PUBACK \d at \d+ ms)*\)$/,
    );
  });

  // A publish the broker never acknowledges held the probe past its deadline: publishAsync waited
  // for a PUBACK that never came, so the hook's own timeout ended it, without the timeline.
  it('ends at its deadline when no PUBACK comes, and says so', { timeout: 15_000 }, async () => {
    const [host, port] = new URL(broker.url).host.split(':') as [string, string];
    const proxy = await startFaultyProxy({
      upstream: { host, port: Number(port) },
      defect: { name: 'never-ack', every: 1 },
    });
    try {
      const started = Date.now();
      const probe = mqttProbe({
        publishTo: { url: proxy.url, label: 'never-ack proxy' },
        subscribeTo: { url: broker.url, label: 'mosquitto' },
        publishTopic: 'mtb/probe-test/swallowed',
        timeoutMs: 2_000,
        republishMs: 500,
      });
      await expect(probe).rejects.toThrow(
        /^no probe message arrived on mtb\/probe-test\/swallowed \(\d published, 0 acknowledged\) within 2000 ms \(connected at \d+ ms, subscribed at \d+ ms, publisher connected at \d+ ms\)$/,
      );
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await proxy.close();
    }
  });
});
