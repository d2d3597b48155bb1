import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from './cli.js';

let cwd: string;
let err: string[];

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: () => undefined, err: (t) => err.push(t), cwd, env: {} });
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-cli-shard-'));
  err = [];
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

// Port 9 (discard) on loopback: nothing may connect before the options are found wrong.
const URL = 'mqtt://127.0.0.1:9';

describe('mqtt-testbench load --shard: bad options end with exit 2 before anything connects', () => {
  test.each([
    [['--shard', '5/4', '--run-id', 'r'], /--shard 5\/4: K \(5\) must be from 1 to N \(4\)/],
    [['--shard', '0/4', '--run-id', 'r'], /K \(0\) must be from 1 to N/],
    [['--shard', '1/0'], /N \(0\) must be from 1/],
    [['--shard', 'two'], /--shard two: write K\/N/],
    [['--shard', '2/4'], /--shard 2\/4 needs --run-id ID, the same in all 4 shards/],
    [['--shard', '1/2', '--run-id', 'no spaces'], /--run-id no spaces: 1 to 100 letters/],
    [['--shard', '1/2', '--run-id', 'r', '--start-at', 'tomorrow'], /--start-at tomorrow: an ISO time with a zone/],
    [
      ['--shard', '1/2', '--run-id', 'r', '--barrier-timeout', '10'],
      /--barrier-timeout 10: milliseconds, at least 1000/,
    ],
    [['--shard', '1/3', '--run-id', 'r'], /3 shards for 2 publisher\(s\) and 1 subscriber\(s\).*at most 2 shards/],
    [['--run-id', 'r'], /--run-id is for sharded runs: add --shard K\/N/],
    [['--log-result'], /--log-result is for sharded runs/],
  ])('%j', async (args, message) => {
    expect(await cli('load', '--url', URL, '--publishers', '2', '--subscribers', '1', ...args)).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });

  test('merge refuses shard results without --mode workers, and mixed with a report', async () => {
    const shard = { runTag: 's', workload: {}, counters: {}, shard: { index: 1, count: 2, runId: 'r' } };
    writeFileSync(join(cwd, 'a.json'), JSON.stringify(shard));
    writeFileSync(join(cwd, 'report.json'), JSON.stringify({ schemaVersion: 1, run: {}, results: [] }));
    expect(await cli('merge', 'out.json', 'a.json')).toBe(2);
    expect(err.join('\n')).toMatch(
      /results of "load --shard K\/N" runs, which ran at the same time: use --mode workers/,
    );
    expect(await cli('merge', '--mode', 'workers', 'out.json', 'a.json', 'report.json')).toBe(2);
    expect(err.join('\n')).toMatch(/report\.json is not a shard result, the other inputs are/);
  });
});
