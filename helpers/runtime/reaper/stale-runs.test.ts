import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { OWNERLESS_GRACE_MS, sweepStaleRuns } from './stale-runs.js';

describe('stale-run sweep', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function runFolder(root: string, name: string, owner?: number, ageMs = 0): string {
    const dir = join(root, name);
    mkdirSync(join(dir, 'pids'), { recursive: true });
    if (owner !== undefined) writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: owner }));
    const at = (Date.now() - ageMs) / 1000;
    utimesSync(dir, at, at);
    return dir;
  }

  test('reaps runs whose owner is gone and old ownerless folders; leaves live runs and runs still starting', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mtb-sweep-'));
    roots.push(root);
    // A pid that cannot be alive: above Linux's pid_max limit (2^22).
    const dead = runFolder(root, 'dead-owner', 5_000_000);
    const live = runFolder(root, 'live-owner', process.pid);
    const starting = runFolder(root, 'starting');
    const abandoned = runFolder(root, 'abandoned', undefined, OWNERLESS_GRACE_MS + 1_000);
    expect(await sweepStaleRuns(root)).toBe(2);
    expect({
      dead: existsSync(dead),
      live: existsSync(live),
      starting: existsSync(starting),
      abandoned: existsSync(abandoned),
    }).toEqual({ dead: false, live: true, starting: true, abandoned: false });
  });
});
