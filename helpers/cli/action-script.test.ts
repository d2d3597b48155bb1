/**
 * The shell part of the GitHub Action (action.yml → .github/actions/run-testbench.sh), run here as
 * the runner runs it: bash, the action's inputs as INPUT_* variables, a fake workspace and fake
 * $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY files, against a broker this test starts. What the steps
 * around it do (setup-node, npm ci, upload-artifact) is GitHub's; their wiring is checked by reading
 * action.yml.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';
import { startAedes } from '../load/testing/aedes-broker.js';
import { readReport } from '../report/read-report.js';
import { childEnv, REPO_ROOT, waitUntil } from '../vitest/testing/child-run.js';

const SCRIPT = join(REPO_ROOT, '.github', 'actions', 'run-testbench.sh');
const ACTION = readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8');
/** vitest start-up, the external target's probe and the QoS suite; 5-30 s on a quiet machine. */
const RUN_BUDGET_MS = 180_000;

let workspace: string;
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'mtb-action-'));
  if (!existsSync(join(REPO_ROOT, 'dist', 'mqtt-testbench.mjs')))
    throw new Error('dist/mqtt-testbench.mjs does not exist: run `npm run build` first (npm test does it).');
});
afterEach(() => rmSync(workspace, { recursive: true, force: true }));

interface ScriptRun {
  code: number | null;
  output: string;
  githubOutput: Record<string, string>;
  summary: string;
}

async function runScript(inputs: Record<string, string>): Promise<ScriptRun> {
  const files = { output: join(workspace, 'github-output'), summary: join(workspace, 'step-summary.md') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const child = spawn('bash', [SCRIPT], {
    cwd: REPO_ROOT,
    env: childEnv({
      NO_COLOR: '1',
      MQTT_TESTBENCH_PROGRESS: 'off',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name}`, value])),
    }),
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
    'run-testbench.sh to exit',
    () => output.slice(-4000),
  );
  const githubOutput = Object.fromEntries(
    readFileSync(files.output, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { code: code ?? null, output, githubOutput, summary: readFileSync(files.summary, 'utf8') };
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the GitHub Action', { timeout: RUN_BUDGET_MS + 30_000 }, () => {
  test('runs mqtt-testbench test from its inputs: exit code, outputs, job summary and report folder; the password only in the environment', async () => {
    const password = 'action-secret-5150';
    const refused: string[] = [];
    // aedes in this process: it asks for the credentials, and speaks MQTT 3.1.1 only (mqtt5: no).
    const broker = await startAedes({
      authenticate: (_client, username, given, done) => {
        const ok = username === 'ci-user' && given?.toString() === password;
        if (!ok) refused.push(username ?? '(none)');
        done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
      },
    });
    onTestFinished(() => broker.close());
    const run = await runScript({
      BROKER: `${broker.url}\n`,
      SUITES: 'qos',
      PROFILE: 'ci',
      USERNAME: 'ci-user',
      PASSWORD: password,
      MQTT5: 'no',
      REPORT_DIR: 'reports-out',
      STRICT: 'true',
    });
    expect(run.output).toContain(
      `mqtt-testbench test --broker ${broker.url} --suites qos --profile ci --username ci-user --mqtt5 no --report-dir ${workspace}/reports-out --strict`,
    );
    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(refused).toEqual([]);
    expect(run.githubOutput).toEqual({ 'exit-code': '0', 'report-dir': join(workspace, 'reports-out') });
    // The testbench's reporter wrote the job summary: the Markdown report itself.
    expect(run.summary).toMatch(/^# mqtt-testbench report: .* PASS/m);
    const report = readReport(join(workspace, 'reports-out', 'latest', 'report.json'));
    expect(report.verdict).toBe('pass');
    expect(report.tests).toMatchObject({ passed: 9, failed: 0 });
    for (const name of ['report.md', 'report.html', 'junit.xml'])
      expect(existsSync(join(workspace, 'reports-out', 'latest', name)), name).toBe(true);
    expect(run.output).not.toContain(password);
    expect(run.summary).not.toContain(password);
    for (const file of filesUnder(join(workspace, 'reports-out')))
      expect(readFileSync(file, 'utf8'), file).not.toContain(password);
  });

  test('bad input exits 2 with the reason in the log, the outputs and the job summary', async () => {
    const broker = await startAedes();
    onTestFinished(() => broker.close());
    const run = await runScript({ BROKER: broker.url, PROFILE: 'huge' });
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/--profile huge is not allowed: use one of ci, full/);
    expect(run.githubOutput['exit-code']).toBe('2');
    expect(run.summary).toMatch(/mqtt-testbench test` exited 2 before writing a report/);

    const strict = await runScript({ BROKER: broker.url, STRICT: 'yes' });
    expect(strict.code).toBe(2);
    expect(strict.output).toMatch(/input strict: got "yes"; allowed: true or false/);
    expect(strict.summary).toMatch(/bad input/);
  });

  test('action.yml passes every input to the script, and the script reads no other', () => {
    const inputs = [...(/^inputs:\n([\s\S]*?)\n\S/m.exec(ACTION)?.[1] ?? '').matchAll(/^ {2}([a-z0-9-]+):$/gm)].map(
      (m) => m[1] as string,
    );
    const passed = [...ACTION.matchAll(/^ {8}INPUT_([A-Z0-9_]+): \$\{\{ inputs\.([a-z0-9-]+) \}\}$/gm)];
    const script = readFileSync(SCRIPT, 'utf8');
    const read = new Set([...script.matchAll(/INPUT_([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    for (const [, variable, input] of passed) expect(variable).toBe(input?.toUpperCase().replaceAll('-', '_'));
    // Inputs the steps use themselves rather than the script.
    const forSteps = ['install-mosquitto', 'node-version', 'artifact-name'];
    expect(passed.map((m) => m[2]).sort()).toEqual(inputs.filter((i) => !forSteps.includes(i)).sort());
    expect([...read].sort()).toEqual(passed.map((m) => m[1]).sort());
    expect(ACTION).toContain('run: bash "$GITHUB_ACTION_PATH/.github/actions/run-testbench.sh"');
    expect(ACTION).toMatch(/working-directory: \$\{\{ github\.action_path \}\}\n\s+run: npm ci/);
    expect(ACTION).toMatch(
      /uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: \$\{\{ inputs\.artifact-name \}\}\n\s+path: \$\{\{ steps\.run\.outputs\.report-dir \}\}/,
    );
  });
});
