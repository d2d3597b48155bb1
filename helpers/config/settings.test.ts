import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError } from './errors.js';
import { configuredSecrets, loadSettings, SETTING_SPECS } from './settings.js';

describe('loadSettings', () => {
  test('defaults when nothing is set', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      runtime: 'auto',
      targets: undefined,
      strict: false,
      profile: 'ci',
      forwarders: ['reference', 'mosquitto-bridge'],
      startupTimeoutMs: 60_000,
    });
  });

  test('an unknown runtime names the variable and the allowed values', () => {
    expect(() => loadSettings({ MQTT_TESTBENCH_RUNTIME: 'docker' })).toThrow(
      'MQTT_TESTBENCH_RUNTIME=docker is not allowed: use one of auto, container, process, embedded.',
    );
  });

  test('unknown targets are listed', () => {
    expect(() => loadSettings({ MQTT_TESTBENCH_TARGETS: 'mosquitto,hivemq,vernemq' })).toThrow(
      'MQTT_TESTBENCH_TARGETS names unknown entries hivemq, vernemq',
    );
  });

  test('malformed numbers are refused with the range', () => {
    expect(() => loadSettings({ MQTT_TESTBENCH_STARTUP_TIMEOUT_MS: '10s' })).toThrow(
      'MQTT_TESTBENCH_STARTUP_TIMEOUT_MS=10s is not a whole number: use an integer between 1000 and 3600000.',
    );
    expect(() => loadSettings({ MQTT_TESTBENCH_PROBE_TIMEOUT_MS: '5' })).toThrow('out of range');
  });

  test('all problems are reported at once', () => {
    try {
      loadSettings({
        MQTT_TESTBENCH_RUNTIME: 'x',
        MQTT_TESTBENCH_STRICT: 'maybe',
        MQTT_TESTBENCH_EXTERNAL_URL: 'http://example',
      });
      expect.unreachable('loadSettings accepted bad input');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  test('external target needs a URL', () => {
    expect(() => loadSettings({ MQTT_TESTBENCH_TARGETS: 'external' })).toThrow('set MQTT_TESTBENCH_EXTERNAL_URL');
    expect(() => loadSettings({ MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL: 'mqtt://127.0.0.1:1883' })).toThrow(
      'needs both',
    );
  });

  test('forwarder entries: command lines may contain commas', () => {
    const settings = loadSettings({
      MQTT_TESTBENCH_FORWARDER: 'reference,command:./fwd --a=1,2 {config},image:acme/fwd:1',
    });
    expect(settings.forwarders).toEqual(['reference', 'command:./fwd --a=1,2 {config}', 'image:acme/fwd:1']);
    expect(() => loadSettings({ MQTT_TESTBENCH_FORWARDER: 'paho' })).toThrow('"paho" is not a forwarder');
  });

  test('MQTT_TESTBENCH_FORWARDER=none: no forwarder, so no forwarding topology', () => {
    expect(loadSettings({ MQTT_TESTBENCH_FORWARDER: 'none' }).forwarders).toEqual([]);
  });

  test('credentials for external brokers: a password needs a user, from the variable or a URL', () => {
    const password = 'not-shown-1';
    expect(
      loadSettings({ MQTT_TESTBENCH_EXTERNAL_USERNAME: 'alice', MQTT_TESTBENCH_EXTERNAL_PASSWORD: password }),
    ).toMatchObject({ externalUsername: 'alice', externalPassword: password });
    expect(
      loadSettings({ MQTT_TESTBENCH_EXTERNAL_URL: 'mqtt://alice@h:1883', MQTT_TESTBENCH_EXTERNAL_PASSWORD: password })
        .externalPassword,
    ).toBe(password);
    try {
      loadSettings({ MQTT_TESTBENCH_EXTERNAL_PASSWORD: password });
      expect.unreachable('a password without a user name was accepted');
    } catch (error) {
      expect((error as Error).message).toMatch(/set MQTT_TESTBENCH_EXTERNAL_USERNAME/);
      expect((error as Error).message).not.toContain(password);
    }
  });

  test('configuredSecrets lists the values of every secret setting, and nothing else', () => {
    expect(
      configuredSecrets({
        MQTT_TESTBENCH_SECURE_PASSWORD: 'secure-pw-1',
        MQTT_TESTBENCH_EXTERNAL_PASSWORD: 'external-pw-1',
        MQTT_TESTBENCH_EXTERNAL_USERNAME: 'alice',
      }),
    ).toEqual(['secure-pw-1', 'external-pw-1']);
  });
});

test('docs/configuration.md documents every setting', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const missing = SETTING_SPECS.map((spec) => spec.name).filter((name) => !doc.includes(`| \`${name}\` |`));
  expect(missing, 'settings missing from the table in docs/configuration.md').toEqual([]);
});
