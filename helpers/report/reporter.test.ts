/**
 * The reporter end to end: a real vitest run (helpers/vitest/testing/report-e2e: a `suites` project with a global setup
 * that provides a run plan and fixture tests that attach results) with the testbench and JUnit
 * reporters, in a child process, then the files it wrote. The second run compares with the first
 * as a baseline after its latencies tripled: the run must fail through its exit code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { TestbenchReport } from './report-types.js';
import { schemaValidator } from './testing/schema-validator.js';
import { fileTempDir } from '../vitest/testing/file-temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = 'helpers/vitest/testing/report-e2e/vitest.config.ts';
const reportDir = fileTempDir('mtb-reporter-e2e-');

/** Runs the fixture project in a child vitest with a clean environment (no outer run id, socket or summary file). */
function runFixture(runId: string, extraEnv: Record<string, string>): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      name.startsWith('VITEST') ||
      name.startsWith('MQTT_TESTBENCH_') ||
      ['TEST', 'NODE_ENV', 'GITHUB_STEP_SUMMARY', 'FORCE_TTY'].includes(name)
    )
      continue;
    env[name] = value;
  }
  Object.assign(
    env,
    {
      MQTT_TESTBENCH_REPORT_DIR: reportDir(),
      MQTT_TESTBENCH_RUN_ID: runId,
      MQTT_TESTBENCH_PROGRESS: 'plain',
      MQTT_TESTBENCH_PROGRESS_INTERVAL_MS: '200',
      GITHUB_STEP_SUMMARY: join(reportDir(), 'step-summary.md'),
      NO_COLOR: '1',
    },
    extraEnv,
  );
  const child = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', CONFIG], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: child.status, output: `${child.stdout}\n${child.stderr}` };
}

function readJson(path: string): TestbenchReport {
  return JSON.parse(readFileSync(path, 'utf8')) as TestbenchReport;
}

describe('the testbench reporter in a real vitest run', { timeout: 180_000 }, () => {
  let first: { status: number | null; output: string };

  test('writes report.json (valid against the schema), report.md, report.html and junit.xml, and copies them to latest/', () => {
    first = runFixture('e2e-first', {});
    expect(first.status, first.output).toBe(0);
    for (const file of ['report.json', 'report.md', 'report.html', 'junit.xml']) {
      expect(existsSync(join(reportDir(), 'e2e-first', file)), file).toBe(true);
      expect(existsSync(join(reportDir(), 'latest', file)), `latest/${file}`).toBe(true);
    }
    const raw: unknown = JSON.parse(readFileSync(join(reportDir(), 'e2e-first', 'report.json'), 'utf8'));
    expect(schemaValidator()(raw)).toEqual([]);
    const report = raw as TestbenchReport;
    expect(report).toMatchObject({
      schemaVersion: 2,
      run: { id: 'e2e-first', state: 'passed' },
      environment: { runtime: { kind: 'embedded', reason: 'fixture run' } },
      verdict: 'pass',
    });
    expect(report.tests).toEqual({ total: 3, passed: 2, failed: 0, skipped: 1, measured: 2 });
    const emqx = report.targets.find((t) => t.name === 'emqx');
    expect(emqx?.status).toBe('skipped');
    expect(emqx?.reason).toContain('not present locally');
    expect(report.skipped.map((s) => [s.test.name, s.test.state, s.reason])).toEqual([
      ['emqx delivers', 'skipped', 'emqx skipped: image emqx/emqx:5.8.8 is not present locally'],
    ]);
  });

  test('groups the repeats of a scenario into one result with each run kept', () => {
    const report = readJson(join(reportDir(), 'e2e-first', 'report.json'));
    const repeated = report.results.find((r) => r.scenario === 'medium-direct');
    expect(repeated?.repeats).toHaveLength(3);
    expect(repeated?.counters?.sent).toBe(6000);
    expect(repeated?.latency?.count).toBe(6000);
    expect(report.results.filter((r) => r.qosCell)).toHaveLength(9);
  });

  test('JUnit carries the key figures as properties and the skip reason', () => {
    const junit = readFileSync(join(reportDir(), 'e2e-first', 'junit.xml'), 'utf8');
    expect(junit).toContain('<property name="p99Us" value="');
    expect(junit).toContain('<property name="gate:max loss rate" value="pass 0 &lt;= 0.001">');
    expect(junit).toContain('<skipped message="emqx skipped: image emqx/emqx:5.8.8 is not present locally"/>');
  });

  test('prints the summary table, plain progress lines from the worker, and appends the Markdown to the step summary', () => {
    expect(first.output).toMatch(/mqtt-testbench ✓ PASS · run e2e-first/);
    expect(first.output).toMatch(/forwarding-loss\s+aedes\s+medium-direct QoS 1 ×3\s+✓ pass\s+loss 0 %/);
    expect(first.output).toMatch(/\[progress\] medium QoS 1 direct: sent [\d,]+\/2,000 · received/);
    expect(readFileSync(join(reportDir(), 'step-summary.md'), 'utf8')).toContain('# mqtt-testbench report: ✅ PASS');
  });

  test('a regression against the baseline fails the run with exit code 1 and says which figure moved', () => {
    const second = runFixture('e2e-second', {
      FIXTURE_LATENCY_FACTOR: '3',
      MQTT_TESTBENCH_BASELINE: join(reportDir(), 'e2e-first', 'report.json'),
    });
    expect(second.status, second.output).toBe(1);
    expect(second.output).toMatch(/baseline ✗ 2 regression\(s\) beyond tolerance/);
    expect(second.output).toMatch(
      /✗ forwarding-loss medium-direct QoS 1 · aedes \(embedded\): p50 [\d.]+ ms \[.*n=3\] → [\d.]+ ms/,
    );
    const report = readJson(join(reportDir(), 'e2e-second', 'report.json'));
    expect(report.verdict).toBe('fail');
    expect(report.baseline).toMatchObject({ verdict: 'fail', regressions: 2, runId: 'e2e-first' });
    expect(readJson(join(reportDir(), 'latest', 'report.json')).run.id).toBe('e2e-second');
  });

  test('a baseline file that is not there fails the run before it pretends to compare', () => {
    const third = runFixture('e2e-third', { MQTT_TESTBENCH_BASELINE: join(reportDir(), 'nope.json') });
    expect(third.status).toBe(1);
    expect(readJson(join(reportDir(), 'e2e-third', 'report.json')).run.errors).toEqual([
      expect.stringMatching(/^baseline: .*nope\.json does not exist\./),
    ]);
  });
});
