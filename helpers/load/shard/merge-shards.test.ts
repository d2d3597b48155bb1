import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../types.js';
import { mergeShardResults, ShardMergeError } from './merge-shards.js';
import { shardFailure, type ShardInput } from './shard-file.js';

/** Only what the completeness check reads; the figures are merged in sharded-vs-single.test.ts. */
function shard(index: number, count: number, extra: { runId?: string; workload?: string } = {}): ShardInput {
  const result = {
    runTag: 'stag',
    workload: { name: extra.workload ?? 'w' },
    counters: {},
    accounting: { ledgers: [], groups: [] },
    shard: { index, count, runId: extra.runId ?? 'run-1' },
  } as unknown as LoadResult;
  return { file: `shard-${index}.json`, document: { type: 'result', result } };
}

function failed(index: number, count: number, error: string): ShardInput {
  return {
    file: `shard-${index}.log`,
    document: { type: 'failure', failure: shardFailure({ index, count, runId: 'run-1' }, error) },
  };
}

function mergeError(inputs: ShardInput[]): ShardMergeError {
  try {
    mergeShardResults(inputs);
  } catch (error) {
    if (error instanceof ShardMergeError) return error;
    throw error;
  }
  throw new Error('the merge was expected to fail');
}

describe('merging shard results', () => {
  it('fails loudly, exit 1, naming every shard that is missing or failed', () => {
    const error = mergeError([shard(1, 4), failed(2, 4, 'barrier timeout'), shard(4, 4)]);
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/run "run-1" is incomplete \(2 of 4 shard results\)/);
    expect(error.message).toContain('shard 2/4 failed (shard-2.log): barrier timeout');
    expect(error.message).toContain('shard 3/4 missing');
    expect(error.message).not.toContain('shard 1/4');
  });

  it('refuses inputs that do not belong together (exit 2): another run, another workload, a shard twice, a whole run', () => {
    expect(mergeError([shard(1, 2), shard(2, 2, { runId: 'run-2' })]).message).toMatch(
      /shard-2\.json is shard 2\/2 of run "run-2", shard-1\.json of run "run-1"/,
    );
    expect(mergeError([shard(1, 2), shard(2, 3)]).exitCode).toBe(2);
    expect(mergeError([shard(1, 2), shard(2, 2, { workload: 'other' })]).message).toMatch(/ran another workload/);
    const twice = mergeError([shard(1, 2), shard(1, 2)]);
    expect(twice.message).toMatch(/both shard 1\/2: merging a shard twice would count it twice/);
    expect(twice.exitCode).toBe(2);
    const whole = { file: 'single.json', document: { type: 'result', result: { runTag: 'x' } } } as ShardInput;
    expect(mergeError([whole]).message).toMatch(/single\.json is the result of a whole run, not of a shard/);
  });
});
