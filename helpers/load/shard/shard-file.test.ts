import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadResult } from '../types.js';
import { encodeForLog, readShardInputs, shardFailure, ShardFileError } from './shard-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtb-shard-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeResult(index: number): LoadResult {
  return {
    runTag: 'sabc',
    workload: { name: 'w' },
    counters: { sent: index },
    shard: { index, count: 2 },
  } as unknown as LoadResult;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('shard results in files and logs', () => {
  it('finds every shard block in a log, also behind kubectl --prefix, between other log lines', () => {
    const one = encodeForLog(fakeResult(1), { index: 1, count: 2 });
    const two = encodeForLog(fakeResult(2), { index: 2, count: 2 })
      .split('\n')
      .map((line) => `[pod/mtb-load-1-x9/load] ${line}`)
      .join('\n');
    expect(one.split('\n').every((line) => line.length <= 76 || line.startsWith('==='))).toBe(true);
    const log = write('all.log', `starting\n${one}\nsummary line\n${two}\n`);
    const inputs = readShardInputs(log) ?? [];
    expect(inputs.map((i) => i.document.type === 'result' && i.document.result.shard?.index)).toEqual([1, 2]);
  });

  it('reads a JSON result or failure, gives nothing for a log without a block and null for other JSON', () => {
    const failure = shardFailure({ index: 2, count: 4, runId: 'r' }, 'connect refused');
    expect(readShardInputs(write('f.json', JSON.stringify(failure)))?.[0]?.document).toEqual({
      type: 'failure',
      failure,
    });
    expect(readShardInputs(write('r.json', JSON.stringify(fakeResult(1))))?.[0]?.document.type).toBe('result');
    expect(readShardInputs(write('killed.log', 'mqtt-testbench load: connecting...\n'))).toEqual([]);
    expect(
      readShardInputs(write('report.json', JSON.stringify({ schemaVersion: 1, run: {}, results: [] }))),
    ).toBeNull();
  });

  it('refuses a cut-off or damaged block, naming the file', () => {
    const lines = encodeForLog(fakeResult(1), { index: 1, count: 2 }).split('\n');
    expect(() => readShardInputs(write('cut.log', lines.slice(0, -1).join('\n')))).toThrow(
      /cut\.log: a shard result begins but never ends/,
    );
    const damaged = [lines[0], 'not*base64*at*all', lines.at(-1)].join('\n');
    expect(() => readShardInputs(write('bad.log', damaged))).toThrow(ShardFileError);
    expect(() => readShardInputs(join(dir, 'absent.json'))).toThrow(/cannot read .*absent\.json: ENOENT/);
  });
});
