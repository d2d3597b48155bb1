import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/config/errors.js';
import { type LoadResult, parseConfig } from '../../src/config/load.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');

interface RuleInput {
  name: string;
  source: { client: string; topic: string };
  target: { client: string; topic: string };
  callback?: string | null;
  enabled?: boolean;
}

const base = () => ({
  clients: [
    { name: 'up', ip: '127.0.0.1', port: 1883, client_id: 'fwd-up' },
    { name: 'down', ip: 'mqtt-broker-downstream', port: 1884, client_id: 'fwd-down' },
  ],
  rules: [
    {
      name: 'r1',
      source: { client: 'down', topic: 'a/#' },
      target: { client: 'up', topic: 'a/#' },
      callback: 'EventCall',
    },
  ] as RuleInput[],
});
type Base = ReturnType<typeof base> & Record<string, unknown>;

function load(config: unknown): LoadResult {
  return parseConfig(
    Buffer.from(typeof config === 'string' ? config : JSON.stringify(config)),
    '/nonexistent/config.json',
  );
}

function errorsOf(config: unknown): ConfigError[] {
  const result = load(config);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

function edit(change: (c: Base) => void): Base {
  const config = base() as Base;
  change(config);
  return config;
}

const at = (errors: ConfigError[], path: string) => errors.filter((e) => e.path === path).map((e) => e.message);

describe("the original project's four config cases (fixtures)", () => {
  const loadFixture = (name: string) => parseConfig(readFileSync(join(FIXTURES, name)), join(FIXTURES, name));

  it('accepts the valid config unchanged', () => {
    const result = loadFixture('valid_config.json');
    expect(result.ok).toBe(true);
  });

  it('reports every error of the invalid config at once', () => {
    const result = loadFixture('invalid_config.json');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(['mqtt.port', 'clients[0].client_id', 'clients[0].ip', 'rules']);
    expect(at(result.errors, 'mqtt.port')[0]).toBe('must be an integer from 1 to 65535 (got 99999)');
    expect(at(result.errors, 'clients[0].ip')[0]).toMatch(/"999.999.999.999" is not an IPv4 address/);
    expect(at(result.errors, 'clients[0].client_id')[0]).toMatch(/non-empty string \(got ""\)/);
    expect(at(result.errors, 'rules')[0]).toMatch(/no enabled rule/);
  });

  it('rejects the config without rules', () => {
    const result = loadFixture('no_rules_config.json');
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['rules']);
  });

  it('reports line and column of the missing closing brace', () => {
    const result = loadFixture('invalid_json_config.json');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      {
        path: '',
        message:
          'invalid JSON at line 31, column 1: unexpected end of input (a closing brace, bracket or quote is missing)',
      },
    ]);
  });

  it("loads the C forwarder's own config.json (port null, null credentials, Chinese descriptions)", () => {
    const result = loadFixture('original_config.json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.clients[0]?.port).toBeNull();
    expect(result.config.rules[0]?.description).toBe('属性事件转发：下游->上游');
    expect(result.warnings.some((w) => w.includes('mqtt.qos (0) is not applied'))).toBe(true);
  });
});

describe('config validation', () => {
  it('accepts the base config', () => {
    expect(load(base()).ok).toBe(true);
  });

  it('reports JSON syntax errors with line and column', () => {
    expect(errorsOf('{\n  "a": 1,\n  "b": tru\n}')[0]?.message).toBe(
      'invalid JSON at line 3, column 11: unexpected line break',
    );
    expect(errorsOf('{"a":1,}')[0]?.message).toMatch(/line 1, column 8: unexpected '}'/);
  });

  it('rejects ports out of range', () => {
    const errors = errorsOf(edit((c) => ((c.clients[0] as { port: number }).port = 0)));
    expect(at(errors, 'clients[0].port')).toEqual(['must be an integer from 1 to 65535 (got 0)']);
    expect(at(errorsOf(edit((c) => ((c.clients[1] as { port: unknown }).port = '1883'))), 'clients[1].port')).toEqual([
      'must be an integer from 1 to 65535 (got "1883")',
    ]);
  });

  it.each([
    ['999.999.999.999', /not an IPv4 address/],
    ['1.2.3', /exactly 4 numbers/],
    ['bad host', /not a valid host name/],
    ['-lead.example', /not a valid host name/],
    ['a..b', /not a valid host name/],
    ['x'.repeat(64), /label/],
  ])('rejects host %j', (ip, reason) => {
    expect(at(errorsOf(edit((c) => ((c.clients[0] as { ip: string }).ip = ip))), 'clients[0].ip')[0]).toMatch(reason);
  });

  it.each(['localhost', 'mqtt-broker-upstream', 'broker.example.com', 'tests_mqtt_1', '10.0.0.1', '::1', 'fe80::1'])(
    'accepts host %j',
    (ip) => {
      expect(load(edit((c) => ((c.clients[0] as { ip: string }).ip = ip))).ok).toBe(true);
    },
  );

  it('rejects an empty client_id', () => {
    expect(
      at(errorsOf(edit((c) => ((c.clients[0] as { client_id: string }).client_id = ''))), 'clients[0].client_id'),
    ).toEqual(['must be a non-empty string (got "")']);
  });

  it('requires an enabled rule', () => {
    const errors = errorsOf(edit((c) => (c.rules[0]!.enabled = false)));
    expect(errors.map((e) => e.path)).toEqual(['rules']);
  });

  it('names an unknown client and suggests the closest', () => {
    const errors = errorsOf(edit((c) => (c.rules[0]!.source.client = 'downstrem')));
    expect(at(errors, 'rules[0].source.client')).toEqual(['unknown client "downstrem" (clients: up, down)']);
    const close = errorsOf(edit((c) => (c.rules[0]!.source.client = 'dwn')));
    expect(at(close, 'rules[0].source.client')[0]).toBe(
      'unknown client "dwn"; did you mean "down"? (clients: up, down)',
    );
  });

  it('rejects the same source and target client', () => {
    expect(at(errorsOf(edit((c) => (c.rules[0]!.target.client = 'down'))), 'rules[0].target.client')[0]).toMatch(
      /same client as source/,
    );
  });

  it.each([['a/#/b'], ['a+'], ['']])('rejects the source filter %j', (topic) => {
    const errors = errorsOf(edit((c) => (c.rules[0]!.source.topic = topic)));
    expect(errors.some((e) => e.path === 'rules[0].source.topic')).toBe(true);
  });

  it('rejects a target that cannot take what the source matches', () => {
    expect(at(errorsOf(edit((c) => (c.rules[0]!.target.topic = 'fixed/topic'))), 'rules[0].target.topic')[0]).toMatch(
      /ends in "#"/,
    );
    expect(at(errorsOf(edit((c) => (c.rules[0]!.target.topic = 'up/+/#'))), 'rules[0].target.topic')[0]).toMatch(
      /1 "\+"/,
    );
  });

  it('rejects unknown fields and suggests the intended one', () => {
    const errors = errorsOf(
      edit((c) => {
        c.qos_polcy = 1;
        (c.clients[0] as Record<string, unknown>).client_idd = 'x';
        (c.rules[0] as unknown as Record<string, unknown>).enable = true;
        c.mqtt = { keepalive: 60, clean_sesion: false };
      }),
    );
    expect(at(errors, 'qos_polcy')[0]).toMatch(
      /^unknown field; did you mean "qos_policy"\? \(allowed: log_level, mqtt, /,
    );
    expect(at(errors, 'clients[0].client_idd')[0]).toMatch(/did you mean "client_id"/);
    expect(at(errors, 'rules[0].enable')[0]).toMatch(/did you mean "enabled"/);
    expect(at(errors, 'mqtt.clean_sesion')[0]).toMatch(/did you mean "clean_session"/);
  });

  it('rejects duplicate client and rule names', () => {
    const errors = errorsOf(
      edit((c) => {
        c.clients.push({ name: 'up', ip: 'h', port: 1, client_id: 'other' });
        c.rules.push({ ...c.rules[0]! });
      }),
    );
    expect(at(errors, 'clients[2].name')).toEqual(['duplicate client name "up"; client names must be unique']);
    expect(at(errors, 'rules[1].name')).toEqual(['duplicate rule name "r1"; rule names must be unique']);
  });

  it('rejects two clients with the same client_id on the same broker', () => {
    const errors = errorsOf(
      edit((c) => c.clients.push({ name: 'up2', ip: '127.0.0.1', port: 1883, client_id: 'fwd-up' })),
    );
    expect(at(errors, 'clients[2].client_id')[0]).toMatch(/already connects to 127.0.0.1:1883 as "fwd-up"/);
  });

  it('rejects unknown callbacks and suggests the intended one; accepts pass-through spellings', () => {
    expect(at(errorsOf(edit((c) => (c.rules[0]!.callback = 'EventCal'))), 'rules[0].callback')[0]).toBe(
      'unknown callback "EventCal"; did you mean "EventCall"? (allowed: "EventCall", "CommandCall", or null / "None" for pass-through)',
    );
    for (const callback of [null, 'None', 'CommandCall', undefined]) {
      expect(load(edit((c) => ((c.rules[0] as { callback?: unknown }).callback = callback))).ok).toBe(true);
    }
  });

  it('reports all errors at once, each with its path', () => {
    const errors = errorsOf(
      edit((c) => {
        (c.clients[0] as { port: number }).port = 99999;
        (c.clients[1] as { ip: string }).ip = '999.1.1.1';
        c.rules[0]!.source.client = 'nobody';
        c.rules[0]!.callback = 'Nope';
        c.log_level = 'verbose';
      }),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(
      ['clients[0].port', 'clients[1].ip', 'log_level', 'rules[0].callback', 'rules[0].source.client'].sort(),
    );
    expect(at(errors, 'log_level')[0]).toBe('must be one of "debug", "info", "warn", "error" (got "verbose")');
  });

  it('reports missing required fields', () => {
    const errors = errorsOf({ clients: [{ name: 'a' }] });
    expect(at(errors, 'rules')).toEqual(['is required: an array of rules']);
    expect(at(errors, 'clients[0].ip')).toEqual(['is required: a non-empty string']);
  });

  it('rejects unreadable TLS files and mismatched cert/key', () => {
    const errors = errorsOf(
      edit((c) => ((c.clients[0] as Record<string, unknown>).tls = { ca: 'missing-ca.pem', cert: 'c.pem' })),
    );
    expect(at(errors, 'clients[0].tls.ca')[0]).toMatch(/cannot read "\/nonexistent\/missing-ca.pem" \(ENOENT\)/);
    expect(at(errors, 'clients[0].tls')[0]).toMatch(/"cert" and "key" must be set together/);
  });

  it('rejects reconnect_min_ms above reconnect_max_ms (after inheritance)', () => {
    const errors = errorsOf(
      edit(
        (c) => (
          (c.mqtt = { reconnect_max_ms: 50 }),
          ((c.clients[0] as Record<string, unknown>).reconnect_min_ms = 100)
        ),
      ),
    );
    expect(at(errors, 'clients[0].reconnect_min_ms')).toEqual(['must not exceed reconnect_max_ms (100 > 50)']);
  });

  it('rejects two MQTT 3.1.1 rules that forward into each other (a loop)', () => {
    const loop = edit((c) =>
      c.rules.push({
        name: 'back',
        source: { client: 'up', topic: 'a/#' },
        target: { client: 'down', topic: 'a/#' },
        callback: 'EventCall',
      }),
    );
    expect(at(errorsOf(loop), 'rules')[0]).toMatch(/"r1" and "back" forward into each other/);
    const v5 = { ...loop, mqtt: { protocol_version: 5 } };
    expect(load(v5).ok).toBe(true);
    const disjoint = edit((c) =>
      c.rules.push({
        name: 'cmd',
        source: { client: 'up', topic: 'cmd/#' },
        target: { client: 'down', topic: 'cmd/#' },
        callback: null,
      }),
    );
    expect(load(disjoint).ok).toBe(true);
  });

  it('validates disabled rules too', () => {
    const errors = errorsOf(
      edit((c) =>
        c.rules.push({
          name: 'off',
          source: { client: 'ghost', topic: 'x' },
          target: { client: 'up', topic: 'x' },
          enabled: false,
        }),
      ),
    );
    expect(errors.map((e) => e.path)).toEqual(['rules[1].source.client']);
  });

  it('warns about clients no enabled rule uses', () => {
    const result = load(edit((c) => c.clients.push({ name: 'idle', ip: 'h', port: 1, client_id: 'i' })));
    expect(result.ok && result.warnings).toEqual([
      'client "idle" is used by no enabled rule; it will not be connected',
    ]);
  });
});
