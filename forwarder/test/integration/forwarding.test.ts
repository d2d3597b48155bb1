// Pass-through, EventCall and CommandCall through the real CLI between two
// mosquitto processes, at QoS 0/1/2, with the delivered QoS read from the
// received packet; topic mapping; overlapping rules; callback errors.

import { requireOnThisMachine } from '../../../helpers/vitest/skip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { ensureForwarderBundle } from '../support/bundle.js';
import {
  type Collector,
  closeAllClients,
  connectClient,
  subscribeCollector,
  waitUntil,
} from '../support/mqtt-clients.js';
import { ForwarderProcess, MosquittoBroker, stopAllProcesses, MOSQUITTO_MISSING } from '../support/processes.js';
import { forwarderConfig } from '../support/topology.js';

const QOS_LEVELS = [0, 1, 2] as const;
const EVENT = '{"temp":23.50,"ok":true,"z":1,"a":[1,2]}';

describe('forwarding through the CLI', { timeout: 60_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  let forwarder: ForwarderProcess;
  let downPublisher: MqttClient;
  let upPublisher: MqttClient;
  let upstreamSeen: Collector;
  let downstreamSeen: Collector;
  let metricsPort: number;

  beforeAll(async () => {
    await ensureForwarderBundle();
    const downstream = await MosquittoBroker.start();
    const upstream = await MosquittoBroker.start();
    const { freeLoopbackPort } = await import('../../../helpers/runtime/ports.js');
    metricsPort = await freeLoopbackPort();
    forwarder = ForwarderProcess.spawn(
      forwarderConfig(
        downstream,
        upstream,
        [
          { name: 'pass', from: 'pt/#', to: 'copy/#' },
          { name: 'overlap', from: 'pt/+/x', to: 'dup/+' },
          { name: 'events', from: '/ge/web/#', to: '/up/ge/#', callback: 'EventCall' },
          { name: 'commands', from: '/gc/web/#', to: '/gc/web/#', callback: 'CommandCall', reverse: true },
          { name: 'fixed', from: 'fixed/#', to: 'fixed/#', qos_policy: 1 },
        ],
        { metrics_port: metricsPort, mqtt: { username: 'forwarder', password: 's3cret-password' } },
      ),
    );
    await forwarder.waitForReady();
    const upSubscriber = await connectClient(upstream.port);
    upstreamSeen = await subscribeCollector(upSubscriber, '#', 2);
    const downSubscriber = await connectClient(downstream.port);
    downstreamSeen = await subscribeCollector(downSubscriber, '/gc/web/#', 2);
    downPublisher = await connectClient(downstream.port);
    upPublisher = await connectClient(upstream.port);
  }, 60_000);

  afterAll(async () => {
    await closeAllClients();
    const code = await forwarder?.stop();
    await stopAllProcesses();
    expect(code).toBe(0);
  });

  it('logs the brokers and rules at startup without the password', () => {
    const starting = forwarder.records.find((r) => r.msg === 'forwarder starting');
    expect(starting?.rules).toHaveLength(5);
    expect(forwarder.rawStderr.join('\n')).not.toContain('s3cret-password');
  });

  it.each(QOS_LEVELS)(
    'passes a QoS %i message through unchanged, mapped to the target topic, at the same QoS',
    async (qos) => {
      const payload = Buffer.from([0, 1, 2, 255, 0x7b]);
      await downPublisher.publishAsync(`pt/q${qos}/y`, payload, { qos });
      const [got] = await upstreamSeen.waitFor(1, `copy/q${qos}/y`, (m) => m.topic === `copy/q${qos}/y`);
      expect(got?.payload.equals(payload)).toBe(true);
      expect(got?.qos).toBe(qos);
      expect(got?.retain).toBe(false);
    },
  );

  it.each(QOS_LEVELS)('wraps a QoS %i event with EventCall, payload text embedded verbatim', async (qos) => {
    await downPublisher.publishAsync(`/ge/web/site/dev${qos}`, EVENT, { qos });
    const [got] = await upstreamSeen.waitFor(1, 'the wrapped event', (m) => m.topic === `/up/ge/site/dev${qos}`);
    expect(got?.payload.toString()).toBe(
      `{"data":${EVENT},"operationType":"uploadRtd","projectID":"X2View","requestType":"wrequest","serialNo":0,"webtalkID":"dev${qos}"}`,
    );
    expect(got?.qos).toBe(qos);
  });

  it.each(QOS_LEVELS)('converts a QoS %i command with CommandCall (upstream -> downstream)', async (qos) => {
    await upPublisher.publishAsync(
      `/gc/web/cmd${qos}`,
      JSON.stringify({ data: [{ name: 'a.b.c.key', value: `v${qos}` }] }),
      { qos },
    );
    const [got] = await downstreamSeen.waitFor(1, 'the converted command', (m) => m.topic === `/gc/web/cmd${qos}`);
    expect(got?.payload.toString()).toBe(`{"b":{"dl":{"key":"v${qos}"}},"h":{"rt":"a|b|c"}}`);
    expect(got?.qos).toBe(qos);
  });

  it('forwards a message matched by two rules once per rule', async () => {
    await downPublisher.publishAsync('pt/both/x', 'twice', { qos: 1 });
    await upstreamSeen.waitFor(1, 'dup/both', (m) => m.topic === 'dup/both');
    await upstreamSeen.waitFor(1, 'copy/both/x', (m) => m.topic === 'copy/both/x');
    await downPublisher.publishAsync('pt/probe', 'probe', { qos: 1 });
    await upstreamSeen.waitFor(1, 'the probe', (m) => m.topic === 'copy/probe');
    expect(
      upstreamSeen.messages
        .filter((m) => m.payload.toString() === 'twice')
        .map((m) => m.topic)
        .sort(),
    ).toEqual(['copy/both/x', 'dup/both']);
  });

  it('applies a fixed qos_policy', async () => {
    for (const qos of QOS_LEVELS) await downPublisher.publishAsync(`fixed/${qos}`, 'x', { qos });
    const got = await upstreamSeen.waitFor(3, 'fixed/#', (m) => m.topic.startsWith('fixed/'));
    expect(got.map((m) => m.qos)).toEqual([1, 1, 1]);
  });

  it('drops and counts a payload EventCall cannot handle, acknowledges it, and keeps forwarding', async () => {
    await downPublisher.publishAsync('/ge/web/bad', 'not json', { qos: 1 });
    await downPublisher.publishAsync('/ge/web/after', '{"ok":1}', { qos: 1 });
    await upstreamSeen.waitFor(1, 'the next event', (m) => m.topic === '/up/ge/after');
    expect(upstreamSeen.messages.some((m) => m.topic === '/up/ge/bad')).toBe(false);
    const warning = await forwarder.waitForLog((r) => r.msg === 'callback rejected a message', 'the callback warning');
    expect(warning).toMatchObject({ rule: 'events', topic: '/ge/web/bad', level: 'warn' });
    // The dropped message is acknowledged at the source too: nothing stays in flight.
    const stats = await forwarder.settledStats();
    expect((stats.dropped as Record<string, number>).callback_error).toBe(1);
  });

  it('serves Prometheus metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^mqtt_forwarder_forwarded_total \d+$/m);
    expect(text).toMatch(/^mqtt_forwarder_dropped_total\{reason="callback_error"\} 1$/m);
  });

  it('logs one line per message only at debug level', async () => {
    await waitUntil(() => forwarder.records.length > 0, 'logs');
    expect(forwarder.records.some((r) => r.msg === 'forwarding')).toBe(false);
  });
});
