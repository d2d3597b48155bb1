import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Finds a program: the configured path when one is given (it must be executable), else `name` on
 * PATH, else the first executable of `fallbacks` (e.g. Debian's /usr/sbin, often not on a user's PATH).
 */
export function findExecutable(
  name: string,
  configured: string | undefined,
  fallbacks: readonly string[] = [],
): string | undefined {
  if (configured) return isExecutable(configured) ? configured : undefined;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return fallbacks.find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false; // absent or not executable: the caller reports the program as missing
  }
}
