import { describe, expect, it } from 'vitest';
import { planWorkers } from '../worker/worker-plan.js';
import { parseWorkload } from '../workload.js';
import { parseShardId, planShard, runTagFor, shareOf, ShardSpecError } from './shard-plan.js';

function workload(publishers: number, subscribers: number, extra: Record<string, unknown> = {}) {
  return parseWorkload({
    name: 'w',
    publishers,
    subscribers,
    qos: 1,
    payload: { kind: 'fixed', bytes: 256 },
    messages: 10,
    ratePerSecond: 1_000,
    connectRatePerSecond: 100,
    ...extra,
  });
}

describe('--shard K/N', () => {
  it('reads K/N and names what is wrong otherwise', () => {
    expect(parseShardId('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShardId(' 1/1 ')).toEqual({ index: 1, count: 1 });
    expect(() => parseShardId('0/4')).toThrow(/K \(0\) must be from 1 to N \(4\)/);
    expect(() => parseShardId('5/4')).toThrow(/K \(5\) must be from 1 to N \(4\)/);
    expect(() => parseShardId('1/0')).toThrow(/N \(0\) must be from 1/);
    expect(() => parseShardId('2of4')).toThrow(ShardSpecError);
    expect(() => parseShardId('-1/4')).toThrow(/write K\/N/);
  });
});

describe('shard plan', () => {
  it('splits publishers and subscribers into contiguous, disjoint ranges that cover every client once', () => {
    for (const total of [1, 4, 7, 1_000]) {
      const ranges = [1, 2, 3, 4].map((index) => shareOf(total, { index, count: 4 }));
      expect(ranges[0]?.start).toBe(0);
      for (let k = 1; k < ranges.length; k++) expect(ranges[k]?.start).toBe(ranges[k - 1]?.end);
      expect(ranges.at(-1)?.end).toBe(total);
      const sizes = ranges.map((r) => r.end - r.start);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('gives every shard the same run tag and its own clients, groups and rate share', () => {
    const w = workload(5, 3);
    const plans = [1, 2, 3].map((index) => planShard(w, { index, count: 3, runId: 'job-abc' }));
    expect(new Set(plans.map((p) => p.runTag))).toEqual(new Set([runTagFor('job-abc')]));
    expect(runTagFor('job-abc')).not.toBe(runTagFor('job-abd'));
    expect(plans.map((p) => [p.publishers, p.subscribers, p.groupCount])).toEqual([
      [{ start: 0, end: 2 }, { start: 0, end: 1 }, 1],
      [{ start: 2, end: 4 }, { start: 1, end: 2 }, 1],
      [{ start: 4, end: 5 }, { start: 2, end: 3 }, 1],
    ]);
    const specs = plans.map((plan) =>
      planWorkers(
        {
          workload: w,
          runTag: plan.runTag,
          publishUrl: 'mqtt://a',
          subscribeUrl: 'mqtt://a',
          subscribeFilter: 't/#',
          clientIdPrefix: 'x',
          client: 'lean',
          shareGroup: 'g',
          topics: Array.from({ length: 5 }, (_, i) => `t/${i}`),
          share: plan,
        },
        1,
      ),
    );
    expect(specs.map(([s]) => s?.publishers.map((p) => p.index))).toEqual([[0, 1], [2, 3], [4]]);
    expect(specs.map(([s]) => s?.groupIds)).toEqual([['x-sub-0'], ['x-sub-1'], ['x-sub-2']]);
    // Rates by share of the publishers, ramp-up by share of all clients; every worker knows every publisher.
    expect(specs.map(([s]) => s?.ratePerSecond)).toEqual([400, 400, 200]);
    expect(specs.map(([s]) => s?.connectRatePerSecond)).toEqual([37.5, 37.5, 25]);
    expect(specs.map(([s]) => s?.totalPublishers)).toEqual([5, 5, 5]);
  });

  it('keeps one share group over all shards in shared mode, and refuses shards without a client', () => {
    const shared = workload(4, 2, { subscriptionMode: 'shared' });
    expect([1, 2, 3, 4].map((index) => planShard(shared, { index, count: 4, runId: 'r' }).groupCount)).toEqual([
      1, 1, 0, 0,
    ]);
    expect(() => planShard(workload(2, 1), { index: 1, count: 3, runId: 'r' })).toThrow(
      /3 shards for 2 publisher\(s\) and 1 subscriber\(s\).*at most 2 shards/,
    );
    expect(() => planShard(workload(2, 1), { index: 1, count: 2, runId: 'a b' })).toThrow(/run id "a b"/);
  });
});
