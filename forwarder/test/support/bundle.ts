// Integration tests run the real bundled CLI (dist/mqtt-forwarder.mjs). When
// it is missing or older than a source file, build it the way
// helpers/build/bundle.mjs does (same esbuild options), under a lock so
// parallel test files do not build at once.

import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FORWARDER_BUNDLE, REPO_ROOT } from './processes.js';

const SOURCE_DIR = join(REPO_ROOT, 'forwarder/src');
const LOCK_DIR = join(REPO_ROOT, 'dist/.forwarder-build.lock');
const LOCK_POLL_MS = 50;
const LOCK_TIMEOUT_MS = 60_000;

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(FORWARDER_BUNDLE).mtimeMs >= newestSourceMs(SOURCE_DIR);
  } catch {
    return false;
  }
}

async function withLock(work: () => Promise<void>): Promise<void> {
  mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`could not take ${LOCK_DIR} within ${LOCK_TIMEOUT_MS} ms; remove it if no build is running`);
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

export async function ensureForwarderBundle(): Promise<void> {
  if (isFresh()) return;
  await withLock(async () => {
    if (isFresh()) return;
    const temp = `${FORWARDER_BUNDLE}.${process.pid}.tmp.mjs`;
    await build({
      entryPoints: [join(SOURCE_DIR, 'cli.ts')],
      outfile: temp,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
      banner: {
        js: "#!/usr/bin/env node\nimport { createRequire as __mtbCreateRequire } from 'node:module';\nconst require = __mtbCreateRequire(import.meta.url);",
      },
      external: ['bufferutil', 'utf-8-validate'],
    });
    renameSync(temp, FORWARDER_BUNDLE);
  });
}
