import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { type ForwarderPlan, resolvePlan } from '../../src/config/resolve.js';

const DIR = mkdtempSync(join(tmpdir(), 'fwd-resolve-'));
writeFileSync(join(DIR, 'ca.pem'), 'not really a certificate');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function plan(config: object): ForwarderPlan {
  const result = parseConfig(Buffer.from(JSON.stringify(config)), join(DIR, 'config.json'));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return resolvePlan(result.config, DIR);
}

const clients = [
  { name: 'up', ip: 'up.example', port: null, client_id: 'u' },
  {
    name: 'down',
    ip: '10.0.0.2',
    port: 1884,
    client_id: 'd',
    clean_session: false,
    protocol_version: 5,
    username: null,
  },
];
const rules = [
  { name: 'a', source: { client: 'down', topic: 'x/#' }, target: { client: 'up', topic: 'y/#' }, callback: 'None' },
  {
    name: 'b',
    source: { client: 'down', topic: 'x/+' },
    target: { client: 'up', topic: 'z/+' },
    qos_policy: 1,
    retain_handling: 'strip',
  },
  { name: 'off', source: { client: 'up', topic: 'q' }, target: { client: 'down', topic: 'q' }, enabled: false },
];

describe('resolving the plan', () => {
  it('applies defaults and inheritance from mqtt', () => {
    const p = plan({
      mqtt: { port: 1999, username: 'user', password: 'secret', tls: { ca: 'ca.pem' } },
      clients,
      rules,
    });
    const [up, down] = p.clients;
    expect(up).toMatchObject({
      port: 1999,
      username: 'user',
      password: 'secret',
      cleanSession: true,
      sessionExpiryS: 0,
      protocolVersion: 4,
      reconnectMinMs: 100,
      reconnectMaxMs: 2000,
    });
    expect(up?.tls).toEqual({
      caFile: join(DIR, 'ca.pem'),
      certFile: null,
      keyFile: null,
      rejectUnauthorized: true,
      servername: 'up.example',
    });
    expect(down).toMatchObject({
      port: 1884,
      username: null,
      cleanSession: false,
      sessionExpiryS: 3600,
      protocolVersion: 5,
    });
    expect(down?.tls?.servername).toBeNull(); // an IP address: no SNI
  });

  it('keeps only enabled rules, with per-rule policy overrides and pass-through for "None"', () => {
    const p = plan({ clients, rules, qos_policy: 'preserve' });
    expect(p.rules.map((r) => [r.name, r.callback, r.qosPolicy, r.retainHandling])).toEqual([
      ['a', null, 'preserve', 'preserve'],
      ['b', null, 1, 'strip'],
    ]);
  });

  it('merges subscriptions per source client, subscribing at the QoS the policies need', () => {
    const p = plan({ clients, rules });
    expect(p.subscriptions.get('down')?.map((s) => [s.filter, s.qos])).toEqual([['x/#', 2]]);
    expect(p.subscriptions.has('up')).toBe(false);
    const fixed = plan({ clients, rules: [rules[1]], qos_policy: 0 });
    expect(fixed.subscriptions.get('down')?.map((s) => s.qos)).toEqual([1]);
  });

  it('has documented defaults for the limits', () => {
    const p = plan({ clients, rules });
    expect(p).toMatchObject({
      logLevel: 'info',
      maxInflight: 1000,
      maxQueued: 10_000,
      drainTimeoutMs: 5000,
      statsIntervalMs: 10_000,
      metrics: null,
      replayRetainedOnReconnect: false,
    });
  });
});
