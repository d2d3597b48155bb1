import mqtt from 'mqtt';
import { afterEach, describe, expect, test } from 'vitest';
import { loadSettings } from '../config/settings.js';
import { BrokerPool } from './broker-pool.js';

describe('BrokerPool (embedded brokers)', () => {
  let pool: BrokerPool | undefined;
  afterEach(async () => {
    await pool?.dispose();
    pool = undefined;
  });

  test('the topologies of a pairing share one broker per role; a target alone has its own', async () => {
    pool = new BrokerPool(loadSettings({}));
    const [first, second] = await Promise.all([
      pool.pair('aedes', 'aedes', 'embedded'),
      pool.pair('aedes', 'aedes', 'embedded'),
    ]);
    expect(second.downstream).toBe(first.downstream);
    expect(second.upstream).toBe(first.upstream);
    expect(first.upstream.url).not.toBe(first.downstream.url);
    expect(first.network).toBeUndefined();

    const alone = await pool.broker('aedes', 'embedded');
    expect(await pool.broker('aedes', 'embedded')).toBe(alone);
    expect([first.downstream.url, first.upstream.url]).not.toContain(alone.url);
    expect(alone.label).toBe('aedes (embedded)');
    expect(first.downstream.label).toBe('aedes mqtt-broker-downstream (embedded)');
  });

  test('dispose stops every broker it started', async () => {
    pool = new BrokerPool(loadSettings({}));
    const { downstream, upstream } = await pool.pair('aedes', 'aedes', 'embedded');
    const alone = await pool.broker('aedes', 'embedded');
    await pool.dispose();
    pool = undefined;
    for (const broker of [downstream, upstream, alone]) {
      expect(await broker.liveness()).toMatchObject({ alive: false });
      await expect(connectOnce(broker.url)).rejects.toThrow();
    }
  });
});

function connectOnce(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 2_000 });
    client.once('connect', () => {
      client.end(true);
      resolve();
    });
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}
