import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { forwarderConfig } from '../../forwarders/forwarder-config.js';
import { parseArgs } from './args.js';
import { readConfig } from './config.js';
import { STATS_DIR_ENV, statsDirFromEnv } from './stats.js';
import { fileTempDir } from '../../vitest/testing/file-temp-dir.js';

const dir = fileTempDir('faulty-forwarder-');

describe('faulty forwarder input', () => {
  test('arguments: a mode, an optional rate and one config file; anything else is named', () => {
    expect(parseArgs(['--mode', 'drop', '--every', '7', 'c.json'])).toEqual({
      spec: { mode: 'drop', every: 7 },
      configPath: 'c.json',
    });
    expect(() => parseArgs(['--mode', 'lose', 'c.json'])).toThrow(/--mode lose is not a mode: use one of none, /);
    expect(() => parseArgs(['--mode', 'drop', '--every', '0', 'c.json'])).toThrow(/--every 0 is not a whole number/);
    expect(() => parseArgs(['c.json'])).toThrow(/--mode is missing/);
    expect(() => parseArgs(['--mode', 'none'])).toThrow(/expected one config file, got none/);
    expect(() => parseArgs(['--mode', 'none', '--verbose', 'c.json'])).toThrow(/unknown option --verbose/);
  });

  test('reads the config the testbed writes for command: forwarders', () => {
    const path = join(dir(), 'forwarder.json');
    writeFileSync(
      path,
      forwarderConfig({
        downstream: { host: '127.0.0.1', port: 1884 },
        upstream: { host: '127.0.0.1', port: 1885 },
        rules: [
          { route: 'pass', sourceFilter: 'm/down/pass/#', targetPattern: 'm/up/pass/#' },
          { route: 'event', sourceFilter: 'm/down/event/#', targetPattern: 'm/up/event/#' },
        ],
        clientIdPrefix: 'f1',
        persistentSession: true,
      }),
    );
    const config = readConfig(path);
    expect(config).toMatchObject({ protocolVersion: 5, persistentSession: true, keepaliveS: 60 });
    expect(config.clients.map((c) => [c.name, c.url, c.clientId])).toEqual([
      ['downstream', 'mqtt://127.0.0.1:1884', 'f1-down'],
      ['upstream', 'mqtt://127.0.0.1:1885', 'f1-up'],
    ]);
    expect(config.rules.map((r) => [r.sourceClient, r.sourceFilter, r.targetClient, r.eventCall])).toEqual([
      ['downstream', 'm/down/pass/#', 'upstream', false],
      ['downstream', 'm/down/event/#', 'upstream', true],
    ]);
  });

  test('a bad config names the field', () => {
    const path = join(dir(), 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        clients: [{ name: 'a', ip: '127.0.0.1', client_id: 'x' }],
        rules: [{ name: 'r', source: { client: 'a', topic: 'x/#' }, target: { client: 'b', topic: 'y/#' } }],
      }),
    );
    expect(() => readConfig(path)).toThrow(/rules\[0\]\.target\.client: no client named "b" \(clients: a\)/);
    writeFileSync(path, JSON.stringify({ clients: [{ name: 'a', ip: '127.0.0.1' }], rules: [] }));
    expect(() => readConfig(path)).toThrow(/clients\.0\.client_id/);
  });

  test(`${STATS_DIR_ENV}: unset writes nothing, a folder is taken, anything else is named`, () => {
    expect(statsDirFromEnv({})).toBeUndefined();
    expect(statsDirFromEnv({ [STATS_DIR_ENV]: dir() })).toBe(dir());
    expect(() => statsDirFromEnv({ [STATS_DIR_ENV]: join(dir(), 'missing') })).toThrow(
      new RegExp(`${STATS_DIR_ENV}=.*missing is not a folder`),
    );
  });
});
