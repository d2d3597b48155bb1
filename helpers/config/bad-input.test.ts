/**
 * Bad input gets a clear error before anything starts: every validator of user input (environment
 * variables, the JSON files they name, workloads) refuses it with a message that names the
 * setting or field, the offending value and what is allowed; JSON syntax errors give a line and a
 * column. (The global setup runs these validators first; suites/harness-cleanup.test.ts checks
 * that end to end with a real run.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDeclaration } from '../forwarders/declaration-file.js';
import { loadGates, readGateFile } from '../gates/gate-file.js';
import { parseWorkload, WorkloadError } from '../load/workload.js';
import { ConfigError } from './errors.js';
import { jsonSyntaxErrorOffset, parseJsonWithPosition } from './json-file.js';
import { TARGET_NAMES, TARGET_SETTINGS } from '../targets/registry.js';
import { loadSettings } from './settings.js';
import { fileTempDir } from '../vitest/testing/file-temp-dir.js';

/** The allowed targets as the registry lists them: adding a broker changes the messages, not this file. */
const TARGET_LIST = TARGET_NAMES.join(', ');

const dir = fileTempDir('mtb-bad-input-');
let fileCounter = 0;
function file(content: string): string {
  fileCounter += 1;
  const path = join(dir(), `input-${fileCounter}.json`);
  writeFileSync(path, content);
  return path;
}

/** The problems a ConfigError lists (fails when something else, or nothing, is thrown). */
function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the input was accepted, but it is invalid');
}

describe('environment variables', () => {
  test.each([
    [
      'MQTT_TESTBENCH_RUNTIME',
      'docker',
      'MQTT_TESTBENCH_RUNTIME=docker is not allowed: use one of auto, container, process, embedded.',
    ],
    [
      'MQTT_TESTBENCH_RUNTIME',
      'Container',
      'MQTT_TESTBENCH_RUNTIME=Container is not allowed: use one of auto, container, process, embedded.',
    ],
    [
      'MQTT_TESTBENCH_TARGETS',
      'mosquito',
      `MQTT_TESTBENCH_TARGETS names unknown entry mosquito: allowed are ${TARGET_LIST}.`,
    ],
    [
      'MQTT_TESTBENCH_TARGETS',
      ',',
      `MQTT_TESTBENCH_TARGETS is set but empty: list at least one of ${TARGET_LIST}, or unset it.`,
    ],
    ['MQTT_TESTBENCH_PROFILE', 'fast', 'MQTT_TESTBENCH_PROFILE=fast is not allowed: use one of ci, full.'],
    ['MQTT_TESTBENCH_STRICT', 'maybe', 'MQTT_TESTBENCH_STRICT=maybe is not a flag: use 1 or 0.'],
    ['MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0', '2', 'MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0=2 is not a flag: use 1 or 0.'],
    [
      'MQTT_TESTBENCH_EXTERNAL_URL',
      'http://broker:1883',
      'MQTT_TESTBENCH_EXTERNAL_URL=http://broker:1883 has protocol http: which is not MQTT: use mqtt://, mqtts://, ws:// or wss://.',
    ],
    [
      'MQTT_TESTBENCH_EXTERNAL_URL',
      'http://user:hunter2@broker:1883',
      'MQTT_TESTBENCH_EXTERNAL_URL=http://user:***@broker:1883 has protocol http: which is not MQTT: use mqtt://, mqtts://, ws:// or wss://.',
    ],
    [
      'MQTT_TESTBENCH_SECURE_PASSWORD',
      'pass word',
      'MQTT_TESTBENCH_SECURE_PASSWORD is set but not usable as a password (its value is not shown): use 8 to 128 printable ASCII characters without spaces.',
    ],
    [
      'MQTT_TESTBENCH_FORWARDER',
      'reference,paho',
      'MQTT_TESTBENCH_FORWARDER entry "paho" is not a forwarder: use reference, mosquitto-bridge, image:<image name> or command:<command line> (or none alone, for no forwarding topology).',
    ],
    [
      'MQTT_TESTBENCH_FORWARDER',
      'none,reference',
      'MQTT_TESTBENCH_FORWARDER entry "none" is not a forwarder: use reference, mosquitto-bridge, image:<image name> or command:<command line> (or none alone, for no forwarding topology).',
    ],
    [
      'MQTT_TESTBENCH_EXTERNAL_URL',
      'notaurl',
      'MQTT_TESTBENCH_EXTERNAL_URL=notaurl is not a URL: use mqtt://host:port (or mqtts://, ws://, wss://).',
    ],
    [
      'MQTT_TESTBENCH_EXTERNAL_URL',
      'mqtt://',
      'MQTT_TESTBENCH_EXTERNAL_URL=mqtt:// names no host: use mqtt://host:port.',
    ],
    [
      'MQTT_TESTBENCH_EXTERNAL_CA',
      '/nonexistent/ca.pem',
      'MQTT_TESTBENCH_EXTERNAL_CA=/nonexistent/ca.pem cannot be read (ENOENT): give the path of an existing file.',
    ],
    ['MQTT_TESTBENCH_EXTERNAL_CA', '/tmp', 'MQTT_TESTBENCH_EXTERNAL_CA=/tmp is not a file: give the path of a file.'],
    [
      'MQTT_TESTBENCH_EXTERNAL_PASSWORD',
      'two\nlines',
      'MQTT_TESTBENCH_EXTERNAL_PASSWORD is set but not usable as a password (its value is not shown): use one line of at most 65535 characters.',
    ],
    [
      'MQTT_TESTBENCH_EXTERNAL_PASSWORD',
      'no-user-given',
      'MQTT_TESTBENCH_EXTERNAL_PASSWORD is set but no user name is: set MQTT_TESTBENCH_EXTERNAL_USERNAME (or give the user in the broker URL, mqtt://user@host:port).',
    ],
  ])('%s=%s is refused: %s', (name, value, message) => {
    expect(problemsOf(() => loadSettings({ [name]: value }))).toEqual([message]);
  });

  const images = [
    ...TARGET_SETTINGS.filter((spec) => spec.kind === 'image').map((spec) => spec.name),
    'MQTT_TESTBENCH_NODE_IMAGE',
  ];
  test.each(images)(
    '%s (an image every target folder declares, and the node image) must be an image reference',
    (name) => {
      expect(problemsOf(() => loadSettings({ [name]: 'Eclipse Mosquitto 2' }))).toEqual([
        `${name}=Eclipse Mosquitto 2 is not an image reference: use name[:tag], e.g. eclipse-mosquitto:2.0.22.`,
      ]);
      expect(loadSettings({ [name]: 'registry.example:5000/team/broker:1.2.3' })).toBeDefined();
    },
  );

  const numbers: [string, number, number][] = [
    ['MQTT_TESTBENCH_STARTUP_TIMEOUT_MS', 1_000, 3_600_000],
    ['MQTT_TESTBENCH_PROBE_TIMEOUT_MS', 100, 600_000],
  ];
  describe.each(numbers)('%s (an integer from %i to %i)', (name, min, max) => {
    test.each(['10s', '1e4', '-5', '1.5', '0x10', '5 000', 'ten', '5_000'])(
      'malformed %j names the variable and the allowed range',
      (value) => {
        expect(problemsOf(() => loadSettings({ [name]: value }))).toEqual([
          `${name}=${value} is not a whole number: use an integer between ${min} and ${max}.`,
        ]);
      },
    );
    test.each([String(min - 1), String(max + 1), '99999999999999999999'])(
      'out of range %s names the variable and the allowed range',
      (value) => {
        expect(problemsOf(() => loadSettings({ [name]: value }))).toEqual([
          `${name}=${value} is out of range: use an integer between ${min} and ${max}.`,
        ]);
      },
    );
    test('surrounding blanks are forgiven, an empty value means the default', () => {
      expect(loadSettings({ [name]: ` ${max} ` })).toMatchObject({
        [name === 'MQTT_TESTBENCH_STARTUP_TIMEOUT_MS' ? 'startupTimeoutMs' : 'probeTimeoutMs']: max,
      });
      expect(() => loadSettings({ [name]: '' })).not.toThrow();
    });
  });

  test('every problem of one environment is reported at once, one line each', () => {
    const problems = problemsOf(() =>
      loadSettings({
        MQTT_TESTBENCH_RUNTIME: 'vm',
        MQTT_TESTBENCH_TARGETS: 'hivemq',
        MQTT_TESTBENCH_PROBE_TIMEOUT_MS: '5s',
      }),
    );
    expect(problems.map((p) => p.split(/[= ]/)[0])).toEqual([
      'MQTT_TESTBENCH_RUNTIME',
      'MQTT_TESTBENCH_TARGETS',
      'MQTT_TESTBENCH_PROBE_TIMEOUT_MS',
    ]);
  });
});

describe('JSON syntax errors give line and column', () => {
  test.each([
    ['a trailing comma in an array (V8 gives no position for it)', '{\n  "qos": 1,\n  "routes": ["pass",]\n}', 3, 21],
    ['a trailing comma in an object', '{\n "a": {"maxLossRate": 0.1,}\n}', 2, 27],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['a single-quoted string', "{'a': 1}", 1, 2],
    ['an unterminated string', '{"a": "abc\n}', 1, 11],
    ['a comment', '{\n  // note\n  "a": 1\n}', 2, 3],
    ['text after the document', '{"a": 1} x', 1, 10],
    ['an empty file', '', 1, 1],
    ['a truncated file', '{"forwarding-loss": {', 1, 22],
  ])('%s', (_what, text, line, column) => {
    expect(problemsOf(() => parseJsonWithPosition(text, 'some.json'))).toEqual([
      expect.stringMatching(new RegExp(`^some\\.json: invalid JSON at line ${line}, column ${column}: .+\\.$`)),
    ]);
  });

  test("the message keeps V8's reason without its echo of the text", () => {
    expect(problemsOf(() => parseJsonWithPosition('[1,]', 'x.json'))).toEqual([
      "x.json: invalid JSON at line 1, column 4: Unexpected token ']'.",
    ]);
  });

  test('the scanner agrees with JSON.parse on what is valid', () => {
    const documents = [
      '{}',
      '[]',
      '0',
      '-0.5e-3',
      '"a\\u00e9\\n"',
      '{"a":[1,2,{"b":null}],"c":true}',
      ' \n{ "a" : false } \t',
      '[1 2]',
      '{"a":01}',
      '"\\x"',
      '[-]',
      'nul',
      '{"a":1,}',
      '"a\tb"',
      '1.',
      '.5',
      '[1e]',
    ];
    for (const text of documents) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(
        jsonSyntaxErrorOffset(text) === undefined,
        `scanner and JSON.parse disagree on ${JSON.stringify(text)}`,
      ).toBe(valid);
    }
  });
});

describe('workloads', () => {
  const valid = {
    name: 'w',
    publishers: 1,
    subscribers: 1,
    qos: 1,
    payload: { kind: 'fixed', bytes: 256 },
    messages: 10,
  };
  test.each([
    ['publishers out of range', { publishers: 0 }, 'publishers: got 0; allowed: an integer from 1 to 10000'],
    ['QoS out of range', { qos: 3 }, 'qos: got 3; allowed: 0, 1 or 2'],
    [
      'a negative rate',
      { ratePerSecond: -1 },
      'ratePerSecond: got -1; allowed: a number of messages per second ≥ 0 (0 = unlimited)',
    ],
    [
      'a payload too small for the identity header',
      { payload: { kind: 'fixed', bytes: 10 } },
      'payload.bytes: got 10; allowed: an integer from',
    ],
    ['an unknown field', { publisher: 2 }, '(workload): unknown field(s) "publisher"'],
    [
      'both messages and durationMs',
      { durationMs: 1_000 },
      'messages: got {"messages":10,"durationMs":1000}; allowed: exactly one of "messages" (per publisher) or "durationMs"',
    ],
  ])('%s', (_what, change, message) => {
    expect(() => parseWorkload({ ...valid, ...change }, 'fixtures/workloads/w.json')).toThrow(WorkloadError);
    expect(() => parseWorkload({ ...valid, ...change }, 'fixtures/workloads/w.json')).toThrow(message);
  });
});

describe('gate files (MQTT_TESTBENCH_GATES)', () => {
  const source = 'MQTT_TESTBENCH_GATES (gates.json)';
  test('a misspelt suite is refused (it would gate nothing), with the suites that exist', () => {
    expect(
      problemsOf(() => readGateFile(file('{"forwarding_loss": {"defaults": {"maxLossRate": 0}}}'), source)),
    ).toEqual([
      `${source}: forwarding_loss: unknown suite "forwarding_loss": use one of smoke, qos-matrix, retain, clean-session, forwarding-loss, faults, load, security, micro`,
    ]);
  });
  test('an unknown gate or field names the allowed ones', () => {
    expect(problemsOf(() => readGateFile(file('{"forwarding-loss": {"defaults": {"maxLoss": 0}}}'), source))).toEqual([
      expect.stringMatching(
        /forwarding-loss\.defaults: .*"maxLoss".*\(allowed: maxLossRate, maxDuplicateRate, maxReorderedRate, maxCorrupted, maxUnconfirmed, maxP99Ms, minReceivePerSec, minPublishPerSec, minRateAchieved, allowInconclusive\)/,
      ),
    ]);
    expect(problemsOf(() => readGateFile(file('{"forwarding-loss": {"default": {}}}'), source))).toEqual(
      expect.arrayContaining([expect.stringMatching(/forwarding-loss: .*"default".*\(allowed: defaults, scenarios\)/)]),
    );
  });
  test.each([
    [
      'a loss rate above 1',
      '{"maxLossRate": 5}',
      'forwarding-loss.defaults.maxLossRate: got 5; allowed: a ratio from 0 to 1 (0.001 = 0.1 %)',
    ],
    ['a negative latency', '{"maxP99Ms": -1}', 'forwarding-loss.defaults.maxP99Ms: got -1; allowed: milliseconds ≥ 0'],
    [
      'a fraction of a message',
      '{"maxCorrupted": 0.5}',
      'forwarding-loss.defaults.maxCorrupted: got 0.5; allowed: a whole number of messages ≥ 0',
    ],
    [
      'a per-QoS limit with a missing QoS',
      '{"maxLossRate": {"0": 0.01, "1": 0}}',
      'forwarding-loss.defaults.maxLossRate: got {"0":0.01,"1":0}; allowed: a ratio from 0 to 1 (0.001 = 0.1 %), or one per QoS',
    ],
    [
      'a share of the requested rate above 1',
      '{"minRateAchieved": 2}',
      'forwarding-loss.defaults.minRateAchieved: got 2; allowed: a ratio from 0 to 1',
    ],
  ])('%s is out of range', (_what, limits, message) => {
    expect(problemsOf(() => readGateFile(file(`{"forwarding-loss": {"defaults": ${limits}}}`), source))).toEqual([
      expect.stringContaining(`${source}: ${message}`),
    ]);
  });
  test('a syntax error gives line and column, and a missing file says so', () => {
    expect(
      problemsOf(() =>
        readGateFile(file('{\n "forwarding-loss": {\n  "defaults": {"maxLossRate": 0.1,}\n }\n}'), source),
      ),
    ).toEqual([`${source}: invalid JSON at line 3, column 35: Expected double-quoted property name.`]);
    expect(problemsOf(() => loadGates(join(dir(), 'missing.json')))).toEqual([
      expect.stringMatching(/missing\.json does not exist/),
    ]);
  });
  test('the default gate file is valid', () => {
    expect(() => loadGates(undefined)).not.toThrow();
  });
});

describe('forwarder declarations (MQTT_TESTBENCH_FORWARDER_DECLARATION)', () => {
  const base = {
    qos: { policy: 'preserve' },
    retainForwarded: true,
    retainedDeleteForwarded: true,
    losslessAcrossRestart: true,
    routes: ['pass'],
  };
  const load = (content: object | string) => {
    const path = file(typeof content === 'string' ? content : JSON.stringify(content));
    return { path, problems: problemsOf(() => loadDeclaration(path)) };
  };
  test('a QoS out of range names the field and the allowed values', () => {
    const { path, problems } = load({ ...base, qos: { policy: 'max', qos: 3 } });
    expect(problems).toEqual([
      `MQTT_TESTBENCH_FORWARDER_DECLARATION (${path}): qos.qos: got 3; allowed: a QoS: 0, 1 or 2`,
    ]);
  });
  test('an unknown QoS policy lists the policies', () => {
    const { problems } = load({ ...base, qos: { policy: 'fastest' } });
    expect(problems).toEqual([
      expect.stringContaining(
        'qos.policy: got {"policy":"fastest"}; allowed: {"policy": "preserve"}, {"policy": "max", "qos": 0|1|2} or {"policy": "fixed", "qos": 0|1|2}',
      ),
    ]);
  });
  test('unknown fields, wrong types and empty lists are each named', () => {
    const { problems } = load({ ...base, retainForwarded: 'yes', routes: [], lossless: true });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('retainForwarded: got "yes"; allowed: true or false'),
        expect.stringContaining('routes: got []; allowed: at least one of "pass" and "event"'),
        expect.stringContaining(
          '(root): unknown field(s) "lossless"; known fields: qos, retainForwarded, retainedDeleteForwarded, losslessAcrossRestart, routes, notes',
        ),
      ]),
    );
    expect(problems).toHaveLength(3);
  });
  test('a syntax error gives line and column; an unreadable path says what to do', () => {
    const { path, problems } = load('{\n  "qos": {"policy": "preserve"}\n  "routes": ["pass"]\n}');
    expect(problems).toEqual([
      `MQTT_TESTBENCH_FORWARDER_DECLARATION (${path}): invalid JSON at line 3, column 3: Expected ',' or '}' after property value in JSON at position 34.`.replace(
        / in JSON at position \d+/,
        '',
      ),
    ]);
    expect(problemsOf(() => loadDeclaration(join(dir(), 'nope.json')))).toEqual([
      expect.stringMatching(
        /MQTT_TESTBENCH_FORWARDER_DECLARATION=.*nope\.json cannot be read .*: point it to a JSON file\./,
      ),
    ]);
  });
});
