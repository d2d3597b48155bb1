import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Worker threads run a bundled copy of the engine (dist/load-worker.mjs,
 * built by `npm run build` from helpers/load/worker/thread-entry.ts): Node
 * cannot load the TypeScript sources that vitest transforms on the fly.
 */
export const WORKER_BUNDLE_NAME = 'load-worker.mjs';
const PACKAGE_NAME = 'mqtt-testbench';
/** Sources the bundle is built from; newer sources than the bundle mean a stale bundle. */
const SOURCE_DIRS = ['helpers/load', 'helpers/stats'];

export type WorkerBundleStatus =
  | { state: 'ready'; path: string }
  | { state: 'missing'; path: string; reason: string }
  | { state: 'stale'; path: string; reason: string };

let cached: WorkerBundleStatus | undefined;

/** Where the worker bundle is and whether it can be used; checked once per process. */
export function workerBundleStatus(): WorkerBundleStatus {
  cached ??= bundleStatus(WORKER_BUNDLE_NAME, SOURCE_DIRS);
  return cached;
}

/** Whether dist/<name> exists and is newer than every source under `sourceDirs` (e.g. the CLI bundle for tests that run it). */
export function bundleStatus(name: string, sourceDirs: readonly string[]): WorkerBundleStatus {
  const root = packageRoot();
  const path = join(root ?? process.cwd(), 'dist', name);
  if (!existsSync(path)) {
    return {
      state: 'missing',
      path,
      reason: `${name === WORKER_BUNDLE_NAME ? 'worker threads need' : 'this needs'} ${path}: run "npm run build" (npm test and npm run bench do it first)`,
    };
  }
  if (root) {
    const bundleMs = statSync(path).mtimeMs;
    const newest = newestSource(root, sourceDirs);
    if (newest && newest.mtimeMs > bundleMs) {
      return {
        state: 'stale',
        path,
        reason: `${path} is older than ${newest.file}: run "npm run build" so that it runs the current code`,
      };
    }
  }
  return { state: 'ready', path };
}

function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function newestSource(root: string, sourceDirs: readonly string[]): { file: string; mtimeMs: number } | undefined {
  let newest: { file: string; mtimeMs: number } | undefined;
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.isDirectory()) {
        visit(file);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const mtimeMs = statSync(file).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { file: file.slice(root.length + 1), mtimeMs };
      }
    }
  };
  for (const dir of sourceDirs) if (existsSync(join(root, dir))) visit(join(root, dir));
  return newest;
}
