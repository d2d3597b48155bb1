import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { compareWithBaseline } from '../report/baseline.js';
import type { TestbenchReport } from '../report/report-types.js';
import { collected, loadResult, MOSQUITTO, syntheticReport } from '../report/testing/synthetic.js';
import { runCli } from './cli.js';
import type { TestTally } from './flake.js';

let cwd: string;
let out: string[];
let err: string[];

let env: NodeJS.ProcessEnv;

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env });
}

function write(name: string, report: unknown): string {
  const path = join(cwd, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(report));
  return name;
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-cli-'));
  out = [];
  err = [];
  env = {};
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('mqtt-testbench help and usage errors', () => {
  test('help prints the commands; no command prints them and exits 2', async () => {
    expect(await cli('help')).toBe(0);
    expect(out.join('\n')).toMatch(/^ {2}test {2,}run the suites against your broker/m);
    expect(out.join('\n')).toMatch(/^Exit codes: 0 pass; 1 a verdict failed/m);
    expect(await cli()).toBe(2);
    expect(err.join('\n')).toMatch(/^Commands:$/m);
  });

  test('an unknown command or option exits 2 and says so', async () => {
    expect(await cli('frobnicate')).toBe(2);
    expect(err.at(-1)).toMatch(/unknown command "frobnicate"/);
    expect(await cli('compare', 'a.json', 'b.json', '--fast')).toBe(2);
    expect(err.at(-1)).toMatch(/unknown option --fast/);
  });

  test('a missing file, a file that is not a report, or another schemaVersion exit 2 with the reason', async () => {
    expect(await cli('report', 'render', 'missing.json')).toBe(2);
    expect(err.at(-1)).toMatch(/missing\.json does not exist/);
    write('other.json', { hello: 'world' });
    expect(await cli('report', 'render', 'other.json')).toBe(2);
    expect(err.at(-1)).toMatch(/is not a mqtt-testbench report/);
    write('old.json', { ...syntheticReport(), schemaVersion: 0 });
    expect(await cli('compare', 'old.json', 'old.json')).toBe(2);
    expect(err.at(-1)).toMatch(/has schemaVersion 0; this mqtt-testbench reads schemaVersion 2/);
  });
});

describe('report render', () => {
  test('writes report.md and report.html into --out', async () => {
    write('r/report.json', syntheticReport());
    expect(await cli('report', 'render', 'r/report.json', '--out', 'html')).toBe(0);
    expect(readFileSync(join(cwd, 'html/report.md'), 'utf8')).toMatch(/^# mqtt-testbench report/);
    expect(readFileSync(join(cwd, 'html/report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('compare', () => {
  test('exit 0 without regression, 1 with one, and the deltas on stdout', async () => {
    write('base.json', syntheticReport({ runId: 'base' }));
    write('same.json', syntheticReport({ runId: 'same', seed: 1 }));
    write('slow.json', syntheticReport({ runId: 'slow', latencyFactor: 3 }));
    expect(await cli('compare', 'same.json', 'base.json')).toBe(0);
    expect(out[0]).toMatch(/^No regression against baseline base\.json/);
    out = [];
    expect(await cli('compare', 'slow.json', 'base.json')).toBe(1);
    expect(out.join('\n')).toMatch(
      /✗ forwarding-loss heavy · pass QoS 1 · mosquitto>mosquitto via reference \(container\)\n {4}✗ p50 [\d.]+ ms → [\d.]+ ms \(\+\d+ %/,
    );
  });

  test('different environments are refused (exit 1) unless --force', async () => {
    const other = syntheticReport({ runId: 'other' });
    other.environment.fingerprint.runtime = 'process';
    write('base.json', syntheticReport({ runId: 'base' }));
    write('other.json', other);
    expect(await cli('compare', 'other.json', 'base.json')).toBe(1);
    expect(out[0]).toMatch(/environments differ \(runtime process here, container in the baseline\)/);
    expect(await cli('compare', 'other.json', 'base.json', '--force')).toBe(0);
  });
});

describe('merge', () => {
  test('writes the merged report and, with --render, its Markdown and HTML', async () => {
    write('a.json', syntheticReport({ runId: 'a' }));
    write('b.json', syntheticReport({ runId: 'b', seed: 2 }));
    expect(await cli('merge', 'out/merged.json', 'a.json', 'b.json', '--render')).toBe(0);
    const merged = JSON.parse(readFileSync(join(cwd, 'out/merged.json'), 'utf8')) as TestbenchReport;
    expect(merged.run.mergedFrom?.map((m) => m.file)).toEqual(['a.json', 'b.json']);
    expect(existsSync(join(cwd, 'out/merged.md'))).toBe(true);
    expect(existsSync(join(cwd, 'out/merged.html'))).toBe(true);
  });

  test('needs an output and two inputs, and a known mode', async () => {
    write('a.json', syntheticReport({ runId: 'a' }));
    expect(await cli('merge', 'out.json', 'a.json')).toBe(2);
    expect(err.at(-1)).toMatch(/at least two reports/);
    expect(await cli('merge', 'out.json', 'a.json', 'a.json', '--mode', 'average')).toBe(2);
    expect(err.at(-1)).toMatch(/--mode average is not a mode/);
    expect(await cli('merge', 'out.json', 'a.json', 'a.json')).toBe(2);
    expect(err.at(-1)).toMatch(/same run \(a\)/);
  });
});

describe('baseline save', () => {
  test('stores reports/latest/report.json as fixtures/baselines/<fingerprint>.json without its own baseline section', async () => {
    const report = syntheticReport();
    report.baseline = compareWithBaseline(report, syntheticReport({ runId: 'older' }), {
      force: false,
      baselineFile: 'older.json',
    });
    write('reports/latest/report.json', report);
    expect(await cli('baseline', 'save')).toBe(0);
    const target = join(cwd, 'fixtures/baselines', `${report.environment.fingerprint.id}.json`);
    const saved = JSON.parse(readFileSync(target, 'utf8')) as TestbenchReport;
    expect(saved.run.id).toBe(report.run.id);
    expect(saved.baseline).toBeUndefined();
    expect(out.join('\n')).toContain(
      `npm run bench -- --baseline fixtures/baselines/${report.environment.fingerprint.id}.json`,
    );
  });

  test('refuses a failed run unless --force, and honours --to', async () => {
    write(
      'failed.json',
      syntheticReport({ tests: [collected([loadResult({ subject: MOSQUITTO, lost: 900, sent: 1000 })], 'failed')] }),
    );
    expect(await cli('baseline', 'save', 'failed.json')).toBe(1);
    expect(err.at(-1)).toMatch(/is a failed run \(1 failed test\(s\)\)/);
    expect(await cli('baseline', 'save', 'failed.json', '--to', 'mine.json', '--force')).toBe(0);
    expect(existsSync(join(cwd, 'mine.json'))).toBe(true);
  });
});

describe('bench', () => {
  test('checks its baseline before starting a long run', async () => {
    expect(await cli('bench', '--baseline', 'nope.json')).toBe(2);
    expect(err.at(-1)).toMatch(/nope\.json does not exist/);
    expect(await cli('bench', '--profile', 'huge')).toBe(2);
    expect(err.at(-1)).toMatch(/--profile huge is not a profile/);
  });

  test('checks every MQTT_TESTBENCH_* setting before vitest starts', async () => {
    env = { MQTT_TESTBENCH_RUNTIME: 'docker', MQTT_TESTBENCH_PROGRESS: 'bogus' };
    expect(await cli('bench')).toBe(2);
    expect(err.at(-1)).toMatch(/MQTT_TESTBENCH_RUNTIME=docker is not allowed: use one of auto, container/);
    env = { MQTT_TESTBENCH_PROGRESS: 'bogus' };
    expect(await cli('flake', '--runs', '1')).toBe(2);
    expect(err.at(-1)).toMatch(/MQTT_TESTBENCH_PROGRESS=bogus is not allowed: use one of auto, tty, plain, off/);
  });
});

describe('flake tallies', () => {
  test('counts passes and failures per test across runs and names the flaky ones', async () => {
    const { tally, formatTallies } = await import('./flake.js');
    const tallies = new Map<string, TestTally>();
    const run = (status: 'passed' | 'failed') => ({
      success: status === 'passed',
      numFailedTests: status === 'failed' ? 1 : 0,
      testResults: [
        {
          name: 'suites/a.test.ts',
          assertionResults: [
            { fullName: 'a stable test', status: 'passed' as const },
            {
              fullName: 'a flaky test',
              status,
              failureMessages: status === 'failed' ? ['AssertionError: lost 3 of 2000\n at ...'] : [],
            },
            {
              fullName: 'a test that skips itself on failure',
              status: status === 'failed' ? ('skipped' as const) : ('passed' as const),
            },
          ],
        },
      ],
    });
    tally(run('passed'), tallies);
    tally(run('failed'), tallies);
    tally(run('passed'), tallies);
    const text = formatTallies([...tallies.values()], 3, 1, []);
    expect(text).toContain('3 run(s), 1 with failures; 3 tests ran, 1 failed at least once.');
    expect(text).toContain(
      '1 test(s) ran in some runs and were skipped in others:\n  ran 2, skipped 1  a test that skips itself on failure',
    );
    expect(text).toContain('  2/3       a flaky test');
    expect(text).toContain('first failure: AssertionError: lost 3 of 2000');
    expect(text).not.toContain('a stable test');
  });
});
