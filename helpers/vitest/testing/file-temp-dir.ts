import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temp folder shared by the tests of one file: made before its first test, removed after its
 * last. Made in beforeAll, not at import: when a name filter (-t) selects none of a file's tests,
 * vitest runs neither hook, and a folder made at import stayed in /tmp.
 */
export function fileTempDir(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (!dir) throw new Error(`the ${prefix} temp folder exists only while the file's tests run`);
    return dir;
  };
}
