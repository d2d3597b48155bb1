import { afterEach, describe, expect, it } from 'vitest';
import { nowUs, WALL_EPOCH_MS } from '../clock.js';
import { startAedes, type TestBroker } from '../testing/aedes-broker.js';
import { ShardCoordinator, START_MARGIN_MS } from './coordinator.js';

let broker: TestBroker | undefined;
const open: ShardCoordinator[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await broker?.close();
  broker = undefined;
});

async function coordinator(index: number, count: number, extra: { startAtMs?: number } = {}) {
  const c = await ShardCoordinator.open({
    shard: { index, count },
    url: broker?.url ?? 'mqtt://127.0.0.1:9',
    controlRoot: 'mtb/load/test.shards',
    clientId: `ctl-${index}`,
    barrierTimeoutMs: 10_000,
    ...extra,
  });
  open.push(c);
  return c;
}

describe('ShardCoordinator', { timeout: 20_000 }, () => {
  it('starts two shards at one instant after both are ready, measures their offset and trades confirmed counts', async () => {
    broker = await startAedes();
    const [one, two] = await Promise.all([coordinator(1, 2), coordinator(2, 2)]);
    if (!one || !two) throw new Error('coordinators missing');
    const joinedUs = nowUs();
    const [startOne, startTwo] = await Promise.all([one.awaitStart(), two.awaitStart()]);
    expect(startOne).toBe(startTwo);
    expect(nowUs()).toBeGreaterThanOrEqual(startOne);
    // The start is START_MARGIN_MS after the later "ready", which came after joinedUs.
    expect(startOne - joinedUs).toBeGreaterThanOrEqual(START_MARGIN_MS * 1000 - 50_000);

    expect(one.othersConfirmed()).toBeNull();
    one.reportSent(120);
    two.reportSent(80);
    await expect.poll(() => [one.othersConfirmed(), two.othersConfirmed()], { timeout: 5_000 }).toEqual([80, 120]);

    // The offset is measured while waiting for the start; one process, one clock: within its own error bound.
    await expect.poll(() => two.report().clock, { timeout: 5_000 }).not.toBeNull();
    const clock = two.report().clock;
    expect(Math.abs(clock?.offsetUs ?? Infinity)).toBeLessThanOrEqual((clock?.rttUs ?? 0) / 2 + 1);
    expect(one.report()).toMatchObject({ startMode: 'barrier', clock: null, lostShards: [], errors: [] });
    expect(two.report().startAt).toBe(new Date(WALL_EPOCH_MS + startTwo / 1000).toISOString());
  });

  it('waits for --start-at, and refuses one that has passed', async () => {
    const startAtMs = Date.now() + 300;
    const single = await coordinator(1, 1, { startAtMs });
    const startUs = await single.awaitStart();
    expect(nowUs()).toBeGreaterThanOrEqual(startUs);
    expect(single.report()).toMatchObject({ startMode: 'start-at', startAt: new Date(startAtMs).toISOString() });
    expect(startUs).toBe((startAtMs - WALL_EPOCH_MS) * 1000);
    const late = await coordinator(1, 1, { startAtMs: Date.now() - 60_000 });
    await expect(late.awaitStart()).rejects.toThrow(/--start-at .* has passed: choose a later time/);
  });

  it('gives up at the barrier naming the shards that never came', async () => {
    broker = await startAedes();
    const c = await ShardCoordinator.open({
      shard: { index: 1, count: 3 },
      url: broker.url,
      controlRoot: 'mtb/load/alone.shards',
      clientId: 'ctl-alone',
      barrierTimeoutMs: 1_000,
    });
    open.push(c);
    await expect(c.awaitStart()).rejects.toThrow(/shard\(s\) 2\/3, 3\/3 not ready after 1000 ms/);
  });
});
