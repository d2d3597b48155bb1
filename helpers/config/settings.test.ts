import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError } from './errors.js';
import { loadSettings, SETTING_SPECS } from './settings.js';

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
});

test('the README documents every setting', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const missing = SETTING_SPECS.map((spec) => spec.name).filter((name) => !readme.includes(`\`${name}\``));
  expect(missing, 'settings missing from the README configuration table').toEqual([]);
});
