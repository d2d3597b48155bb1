import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished, test } from 'vitest';
import { childEnv, REPO_ROOT } from './child-run.js';
import { fileTempDir } from './file-temp-dir.js';

// The child run below imports this very file with a prefix of its own.
const PREFIX_ENV = 'FILE_TEMP_DIR_TEST_PREFIX';
const THIS_FILE = fileURLToPath(import.meta.url);
const CHILD_TIMEOUT_MS = 60_000;
const dir = fileTempDir(process.env[PREFIX_ENV] ?? 'mtb-file-temp-dir-');

test('the folder exists while the tests of the file run', () => {
  expect(statSync(dir()).isDirectory()).toBe(true);
});

// A child vitest: about 2 s alone, 6.7 s beside the suites (streak run 20261207-050033-745654).
test(
  'a name filter that selects none of the tests of a file leaves no folder behind',
  { timeout: CHILD_TIMEOUT_MS },
  () => {
    const prefix = `mtb-file-temp-dir-${randomBytes(4).toString('hex')}-`;
    const reportDir = mkdtempSync(join(tmpdir(), 'mtb-file-temp-dir-reports-'));
    onTestFinished(() => rmSync(reportDir, { recursive: true, force: true }));
    const child = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--project',
        'unit',
        THIS_FILE,
        '-t',
        'no test has this name',
      ],
      {
        cwd: REPO_ROOT,
        env: childEnv({ [PREFIX_ENV]: prefix, MQTT_TESTBENCH_REPORT_DIR: reportDir, NO_COLOR: '1' }),
        encoding: 'utf8',
        timeout: CHILD_TIMEOUT_MS,
      },
    );
    expect(child.status, `the child run exited ${child.status}:\n${child.stdout}\n${child.stderr}`).toBe(0);
    expect(child.stdout, 'the child run must have collected this file').toContain('file-temp-dir.test.ts');
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith(prefix))).toEqual([]);
  },
);
