/**
 * `mqtt-testbench test` end to end, as a user runs it: the built command in a process of its own,
 * against Mosquitto brokers this test starts (configured as the suites configure theirs: no
 * in-flight window, deep queues), reading the verdicts back from the report it writes.
 */
import { requireOnThisMachine } from '../vitest/skip.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';
import { startAedes } from '../load/testing/aedes-broker.js';
import { MOSQUITTO_MISSING, startLocalMosquitto } from '../load/testing/local-mosquitto.js';
import { readReport } from '../report/read-report.js';
import { childEnv, REPO_ROOT, waitUntil } from '../vitest/testing/child-run.js';

const CLI_BUNDLE = join(REPO_ROOT, 'dist', 'mqtt-testbench.mjs');
const FORWARDER_BUNDLE = join(REPO_ROOT, 'dist', 'mqtt-forwarder.mjs');
/** vitest start-up, the external target's probe and the suite; measured 5-30 s on a quiet machine. */
const RUN_BUDGET_MS = 180_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtb-cli-test-'));
  for (const bundle of [CLI_BUNDLE, FORWARDER_BUNDLE])
    if (!existsSync(bundle))
      throw new Error(`${bundle} does not exist: run \`npm run build\` first (npm test does it).`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface CliRun {
  code: number | null;
  output: string;
}

/** Runs the built command to its end (own process group, killed with it when the test ends early). */
async function mqttTestbench(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    cwd: dir,
    env: childEnv({ NO_COLOR: '1', MQTT_TESTBENCH_PROGRESS: 'off', ...env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let code: number | null | undefined;
  child.once('exit', (exitCode, signal) => (code = exitCode ?? (signal ? 128 : null)));
  onTestFinished(() => {
    if (code === undefined && child.pid) process.kill(-child.pid, 'SIGKILL');
  });
  await waitUntil(
    () => code !== undefined,
    RUN_BUDGET_MS,
    `mqtt-testbench ${args.join(' ')} to exit`,
    () => output.slice(-4000),
  );
  return { code: code ?? null, output };
}

describe('mqtt-testbench test against real brokers', { timeout: RUN_BUDGET_MS + 30_000 }, () => {
  requireOnThisMachine(MOSQUITTO_MISSING);
  test('--broker URL --suites qos: prints the plan, runs the QoS suite against that broker, exit 0 and a report', async () => {
    const broker = await startLocalMosquitto();
    onTestFinished(() => broker.stop());
    const run = await mqttTestbench(['test', '--broker', broker.url, '--suites', 'qos', '--report-dir', 'out']);
    expect(run.output).toContain(`  brokers:     ${broker.url}\n`);
    expect(run.output).toMatch(
      / {2}same as: {5}MQTT_TESTBENCH_TARGETS=external MQTT_TESTBENCH_EXTERNAL_URL=mqtt:\/\/127\.0\.0\.1:\d+ .*MQTT_TESTBENCH_FORWARDER=none .*npx vitest run --project 'suites-\*' suites\/qos-matrix\.test\.ts/,
    );
    expect(run.code, run.output.slice(-3000)).toBe(0);
    const report = readReport(join(dir, 'out', 'latest', 'report.json'));
    expect(report.verdict).toBe('pass');
    expect(report.targets).toEqual([expect.objectContaining({ name: 'external', status: 'ran' })]);
    // Only the suite asked for, never the harness's own tests: 2 protocol versions x 9 QoS cells,
    // direct; the forwarded part is skipped with its reason (no forwarder in this run).
    expect(new Set(report.results.map((r) => r.suite))).toEqual(new Set(['qos-matrix']));
    expect(report.results.filter((r) => r.subject.kind === 'broker')).toHaveLength(18);
    expect(report.tests).toMatchObject({ passed: 18, failed: 0, skipped: 1 });
    expect(report.skipped.map((skip) => skip.reason)).toEqual([
      'no forwarding topology in this run: MQTT_TESTBENCH_FORWARDER=none (single-broker suites only)',
    ]);
    expect(report.run.command).toBe(`mqtt-testbench test --broker ${broker.url} --suites qos --report-dir out`);
  });

  test('--downstream --upstream --forwarder command:...: the forwarder between two brokers, its QoS grids in the report', async () => {
    const [downstream, upstream] = await Promise.all([startLocalMosquitto(), startLocalMosquitto()]);
    onTestFinished(() => Promise.all([downstream.stop(), upstream.stop()]).then(() => undefined));
    const declaration = join(dir, 'forwarder.json');
    writeFileSync(
      declaration,
      JSON.stringify({
        qos: { policy: 'preserve' },
        retainForwarded: true,
        retainedDeleteForwarded: true,
        losslessAcrossRestart: true,
        routes: ['pass', 'event'],
      }),
    );
    const run = await mqttTestbench([
      'test',
      '--downstream',
      downstream.url,
      '--upstream',
      upstream.url,
      '--forwarder',
      `command:${process.execPath} ${FORWARDER_BUNDLE} -c {config}`,
      '--declaration',
      'forwarder.json',
      '--suites',
      'qos',
      '--report-dir',
      'out',
    ]);
    expect(run.output).toContain(
      `  forwarding:  ${downstream.url} → command:${process.execPath} ${FORWARDER_BUNDLE} -c {config} (declared in ${declaration}) → ${upstream.url}\n`,
    );
    expect(run.code, run.output.slice(-3000)).toBe(0);
    const report = readReport(join(dir, 'out', 'latest', 'report.json'));
    expect(report.verdict).toBe('pass');
    expect(report.topologies).toEqual([
      expect.objectContaining({ status: 'ran', downstream: 'external', upstream: 'external' }),
    ]);
    // 2 protocol versions x 9 QoS cells, direct to the downstream broker and through the forwarder.
    const cells = (kind: string) => report.results.filter((r) => r.suite === 'qos-matrix' && r.subject.kind === kind);
    expect(cells('broker')).toHaveLength(18);
    expect(cells('topology')).toHaveLength(18);
    expect(report.tests).toMatchObject({ passed: 36, failed: 0, skipped: 0 });
  });
});

test(
  '--username and --password-file: every client of the suites authenticates, the password is in no output and no report file',
  { timeout: RUN_BUDGET_MS + 30_000 },
  async () => {
    const password = 'cli-secret-4711';
    const refused: string[] = [];
    // aedes in this process: it asks for the credentials, and speaks MQTT 3.1.1 only (--mqtt5 no).
    const broker = await startAedes({
      authenticate: (_client, username, given, done) => {
        const ok = username === 'alice' && given?.toString() === password;
        if (!ok) refused.push(username ?? '(none)');
        done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
      },
    });
    onTestFinished(() => broker.close());
    writeFileSync(join(dir, 'pw.txt'), `${password}\n`);
    const run = await mqttTestbench([
      'test',
      '--broker',
      broker.url,
      '-u',
      'alice',
      '--password-file',
      'pw.txt',
      '--mqtt5',
      'no',
      '--suites',
      'qos',
      '--report-dir',
      'out',
    ]);
    expect(run.output).toContain(
      'credentials: user alice; password from --password-file pw.txt (passed to vitest as MQTT_TESTBENCH_EXTERNAL_PASSWORD, not shown)',
    );
    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(refused).toEqual([]);
    const report = readReport(join(dir, 'out', 'latest', 'report.json'));
    expect(report.results.filter((r) => r.subject.kind === 'broker')).toHaveLength(9);
    expect(run.output).not.toContain(password);
    const files = (folder: string): string[] =>
      readdirSync(folder).flatMap((name) => {
        const path = join(folder, name);
        return statSync(path).isDirectory() ? files(path) : [path];
      });
    for (const file of files(join(dir, 'out'))) expect(readFileSync(file, 'utf8'), file).not.toContain(password);
  },
);
