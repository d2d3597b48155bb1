/**
 * The command line behaves like its peers: help on every command (exit 0, nothing run), a
 * version, short options, "did you mean" for commands, options, suites and workload fields, and
 * exit 2 with a message naming the option for every bad input, before anything connects or starts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { COMMANDS, runCli } from './cli.js';
import { planTest } from './test-plan.js';

let cwd: string;
let out: string[];
let err: string[];
let env: NodeJS.ProcessEnv;

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env });
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-cli-conventions-'));
  out = [];
  err = [];
  env = {};
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('help and version', () => {
  test.each(COMMANDS.flatMap((c) => [[c.name, '--help'] as const, [c.name, '-h'] as const]))(
    '%s %s prints its help and exits 0',
    async (name, flag) => {
      expect(await cli(...name.split(' '), flag)).toBe(0);
      expect(err).toEqual([]);
      expect(out.join('\n')).toMatch(new RegExp(`^Usage: mqtt-testbench ${name} `));
      expect(out.join('\n')).toMatch(/^ {2}-h, --help {18}print this help and exit$/m);
    },
  );

  test('help goes before any other check: a command with bad options still prints its help', async () => {
    expect(await cli('load', '--url', 'notaurl', '--bogus', '--help')).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: mqtt-testbench load /);
  });

  test('"help COMMAND" prints that help; a group name alone prints its only subcommand\'s', async () => {
    expect(await cli('help', 'report', 'render')).toBe(0);
    expect(out.at(-1)).toMatch(/^Usage: mqtt-testbench report render REPORT/);
    expect(await cli('baseline', '--help')).toBe(0);
    expect(out.at(-1)).toMatch(/^Usage: mqtt-testbench baseline save/);
  });

  test('--version and -v print the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await cli('--version')).toBe(0);
    expect(await cli('-v')).toBe(0);
    expect(out).toEqual([version, version]);
  });

  test('the test command lists its suites by short name', async () => {
    expect(await cli('test', '--help')).toBe(0);
    const help = out.join('\n');
    for (const name of ['smoke', 'qos', 'retain', 'session', 'loss', 'faults', 'load', 'micro'])
      expect(help).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
  });
});

describe('did you mean', () => {
  test.each([
    [['lod'], /unknown command "lod"; did you mean "load"\?/],
    [['tset'], /unknown command "tset"; did you mean "test"\?/],
    [
      ['report', 'rendr'],
      /report needs a subcommand: "report render", "report figures", not "rendr"; did you mean "report render"\?/,
    ],
    [['load', '--url', 'mqtt://h:1', '--qso', '1'], /unknown option --qso; did you mean --qos\?/],
    [['load', '--url', 'mqtt://h:1', '--subscribe-ulr', 'mqtt://h:2'], /did you mean --subscribe-url\?/],
    [['test', '--brokers', 'mqtt://h:1'], /unknown option --brokers; did you mean --broker\?/],
    [['test', '--suites', 'qso'], /--suites: "qso" is not a suite; did you mean "qos"\? The suites: smoke, qos/],
    [['compare', 'a', 'b', '--tolerance', 'x'], /unknown option --tolerance; did you mean --tolerances\?/],
    [['load', '-Z'], /unknown option -Z; the short options are -L \(--url\), -q \(--qos\)/],
  ])('%j exits 2: %s', async (argv, message) => {
    expect(await cli(...argv)).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  test('a workload file field that is misspelt names the field it probably meant', async () => {
    writeFileSync(
      join(cwd, 'w.json'),
      JSON.stringify({ name: 'w', publisher: 1, subscribers: 1, qos: 0, payload: { kind: 'fixed', byte: 512 } }),
    );
    expect(await cli('load', 'w.json', '--url', 'mqtt://127.0.0.1:1')).toBe(2);
    expect(err.at(-1)).toMatch(
      /w\.json: unknown fields "publisher"; did you mean "publishers"\?, "payload\.byte"; did you mean "payload\.bytes"\?/,
    );
  });
});

describe('short options as the peers have them', () => {
  test('load -q -s -V -t -L set QoS, size, protocol, topic and URL (not taken as a workload file)', async () => {
    expect(await cli('load', '-L', 'mqtt://127.0.0.1:1', '-q', '3', '-s', '10', '-V', '6', '-t', 'a/#')).toBe(2);
    const message = err.at(-1) ?? '';
    expect(message).toMatch(/qos: got 3; allowed: 0, 1 or 2/);
    expect(message).toMatch(/payload\.bytes: got 10/);
    expect(message).toMatch(/protocolVersion: got 6/);
  });
});

describe('bad input exits 2 naming the option, before anything connects or starts', () => {
  test.each([
    [['load', '--url', 'notaurl'], /--url notaurl is not a URL: use mqtt:\/\/host:port/],
    [['load', '--url', 'http://u:pw-1@h:1'], /--url http:\/\/u:\*\*\*@h:1 has protocol http: which is not MQTT/],
    [['load', '-L', 'mqtt://h:1', '--subscribe-url', 'h:2'], /--subscribe-url h:2 has protocol h: which is not MQTT/],
    [['test', '--broker', 'notaurl'], /--broker notaurl is not a URL/],
    [['test', '--downstream', 'mqtt://h:1', '--upstream', 'tcp//h:2'], /--upstream tcp\/\/h:2 is not a URL/],
    [['load', '--url'], /--url needs a value: --url URL/],
    [['load', '--url', '--json'], /--url needs a value: --url URL/],
    [['load', '--json=yes', '--url', 'mqtt://h:1'], /--json takes no value/],
    [['load', '-L', 'mqtt://h:1', '-L', 'mqtt://h:2'], /--url is given twice \("mqtt:\/\/h:1" and "mqtt:\/\/h:2"\)/],
    [['load', 'a.json', 'b.json', '--url', 'mqtt://h:1'], /too many arguments: b\.json/],
    [['schema', 'extra'], /schema extra: there is a schema of "report" and of "declaration"\./],
    [['schema', 'declaratoin'], /schema declaratoin: .*; did you mean "declaration"\?/],
    [['schema', 'report', 'extra'], /too many arguments: extra/],
    [['test', '--profile', 'huge'], /--profile huge is not allowed: use one of ci, full/],
    [['test', '--mqtt5', 'maybe', '--broker', 'mqtt://h:1'], /--mqtt5 maybe is not allowed: use one of yes, no/],
    [['test', '--ca', 'ca.pem', '--broker', 'mqtts://h:1'], /--ca ca\.pem cannot be read \(ENOENT\)/],
    [['test', '--baseline', 'nope.json'], /--baseline nope\.json cannot be read \(ENOENT\)/],
  ])('%j', async (argv, message) => {
    expect(await cli(...argv)).toBe(2);
    expect(err.at(-1)).toMatch(message);
    expect(err.join('\n')).not.toMatch(/pw-1/);
  });

  test.each([
    [
      ['load', '--url', 'mqtt://h:1', '--messages', '10', '--duration', '1000'],
      /--messages 10 and --duration 1000 exclude each other/,
    ],
    [
      ['load', '--url', 'mqtt://u@h:1', '--username', 'v'],
      /--username v and a user in mqtt:\/\/u@h:1: give the credentials one way/,
    ],
    [
      ['load', '--url', 'mqtt://h:1', '--password-file', 'pw'],
      /--password-file needs a user name: add --username NAME/,
    ],
    [
      ['load', '--url', 'mqtts://h:1', '--cert', 'c.pem'],
      /--cert needs --key: a client certificate is a certificate and its key/,
    ],
    [
      ['load', '--url', 'mqtt://h:1', '--ca', 'ca.pem'],
      /--ca is for TLS, but mqtt:\/\/h:1 is not a TLS URL: use mqtts:\/\/ or wss:\/\//,
    ],
    [
      ['load', '--url', 'mqtt://h:1', '--subscribers', '0', '--subscribe-url', 'mqtt://h:2'],
      /--subscribe-url with --subscribers 0: nothing subscribes/,
    ],
    [['test', '--downstream', 'mqtt://h:1'], /--downstream needs --upstream: a forwarding path is two brokers/],
    [
      ['test', '--broker', 'mqtt://h:1', '--forwarder', 'reference'],
      /--forwarder with --broker but no forwarding path: add --downstream URL --upstream URL/,
    ],
    [
      ['test', '--broker', 'mqtt://h:1', '--suites', 'faults'],
      /faults tests a forwarder, and mqtt:\/\/h:1 has no forwarding path/,
    ],
    [
      ['test', '--forwarder', 'reference', '--declaration', 'd.json'],
      /--declaration describes a command: or image: forwarder/,
    ],
    [['test', '--username', 'alice'], /--username is about brokers you name: add --broker URL/],
    [['test', '--forwarder', 'paho'], /MQTT_TESTBENCH_FORWARDER entry "paho" is not a forwarder/],
  ])('conflicting or incomplete: %j', async (argv, message) => {
    expect(await cli(...argv)).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  test('every MQTT_TESTBENCH_* variable is checked where it is read: load, test, bench, flake', async () => {
    env = { MQTT_TESTBENCH_PROGRESS: 'bogus' };
    for (const argv of [
      ['load', '--url', 'mqtt://127.0.0.1:1'],
      ['test', '--broker', 'mqtt://h:1'],
      ['bench'],
      ['flake'],
    ]) {
      expect(await cli(...argv)).toBe(2);
      expect(err.at(-1)).toMatch(/MQTT_TESTBENCH_PROGRESS=bogus is not allowed: use one of auto, tty, plain, off/);
    }
    env = { MQTT_TESTBENCH_REPORT_DIR: 'r', MQTT_TESTBENCH_BASELINE_FORCE: 'sure' };
    expect(await cli('baseline', 'save')).toBe(2);
    expect(err.at(-1)).toMatch(/MQTT_TESTBENCH_BASELINE_FORCE=sure is not a flag/);
    env = { MQTT_TESTBENCH_EXTERNAL_MQTT5: 'perhaps' };
    expect(await cli('test', '--broker', 'mqtt://h:1')).toBe(2);
    expect(err.at(-1)).toMatch(/MQTT_TESTBENCH_EXTERNAL_MQTT5=perhaps is not a flag: use 1 or 0/);
  });
});

describe('test: what the options become', () => {
  const io = () => ({ out: () => undefined, err: () => undefined, cwd, env });

  test('the password travels in the environment of the vitest child only: not in its arguments, not in the plan', () => {
    writeFileSync(join(cwd, 'pw.txt'), 'hunter2-secret\n');
    const argv = ['--broker', 'mqtts://broker:8883', '-u', 'alice', '--password-file', 'pw.txt'];
    const plan = planTest(
      { broker: ['mqtts://broker:8883'], username: 'alice', 'password-file': 'pw.txt' },
      [],
      argv,
      io(),
    );
    const [run] = plan.runs;
    expect(run?.env).toMatchObject({
      MQTT_TESTBENCH_TARGETS: 'external',
      MQTT_TESTBENCH_EXTERNAL_URL: 'mqtts://broker:8883',
      MQTT_TESTBENCH_EXTERNAL_USERNAME: 'alice',
      MQTT_TESTBENCH_EXTERNAL_PASSWORD: 'hunter2-secret',
      MQTT_TESTBENCH_FORWARDER: 'none',
    });
    expect(run?.vitestArgs.join(' ')).not.toContain('hunter2');
    expect(plan.text).not.toContain('hunter2');
    expect(plan.text).toContain(
      'credentials: user alice; password from --password-file pw.txt (passed to vitest as MQTT_TESTBENCH_EXTERNAL_PASSWORD, not shown)',
    );
  });

  test('several brokers: one run each, the forwarding path in the first, a report folder per broker', () => {
    const plan = planTest(
      {
        broker: ['mqtt://a:1883', 'mqtt://b:1884'],
        downstream: 'mqtt://d:1',
        upstream: 'mqtt://u:2',
        suites: 'qos,faults',
      },
      ['-t', 'QoS 2'],
      [],
      io(),
    );
    expect(plan.runs.map((r) => r.vitestArgs)).toEqual([
      ['run', '--project', 'suites-*', 'suites/qos-matrix.test.ts', 'suites/faults.test.ts', '-t', 'QoS 2'],
      ['run', '--project', 'suites-*', 'suites/qos-matrix.test.ts', '-t', 'QoS 2'],
    ]);
    expect(plan.runs.map((r) => r.env['MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL'])).toEqual(['mqtt://d:1', undefined]);
    expect(plan.runs.map((r) => r.reportDir)).toEqual([
      join(cwd, 'reports', '1-a-1883'),
      join(cwd, 'reports', '2-b-1884'),
    ]);
    expect(plan.text).toMatch(/left out, no forwarding path: faults/);
  });

  test('nothing named: the brokers the testbench starts, with the environment as it is (the variables keep working)', () => {
    env = {
      MQTT_TESTBENCH_TARGETS: 'mosquitto',
      MQTT_TESTBENCH_EXTERNAL_URL: 'mqtt://old:1',
      MQTT_TESTBENCH_RUN_ID: 'parent',
    };
    const [run] = planTest({ suites: 'retain' }, [], [], io()).runs;
    expect(run?.env).toMatchObject({
      MQTT_TESTBENCH_TARGETS: 'mosquitto',
      MQTT_TESTBENCH_EXTERNAL_URL: 'mqtt://old:1',
    });
    expect(run?.env['MQTT_TESTBENCH_RUN_ID']).toBeUndefined();
    expect(run?.vitestArgs).toEqual([
      'run',
      '--project',
      'suites-*',
      'suites/retain.test.ts',
      'suites/retain-forwarder.test.ts',
    ]);
    // Named brokers replace those of the environment.
    const [named] = planTest({ downstream: 'mqtt://d:1', upstream: 'mqtt://u:2' }, [], [], io()).runs;
    expect(named?.env['MQTT_TESTBENCH_EXTERNAL_URL']).toBeUndefined();
    expect(named?.env['MQTT_TESTBENCH_TARGETS']).toBe('external');
  });
});
