/**
 * The Chromium the browser test drives (never a downloaded one): MQTT_TESTBENCH_CHROMIUM when set,
 * else the first of the usual names on PATH. Not found is a reason to skip, said in full; a
 * variable that names no executable is a mistake, and throws.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CHROMIUM_ENV = 'MQTT_TESTBENCH_CHROMIUM';
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;

export type ChromiumLookup = { found: true; path: string } | { found: false; reason: string };

export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): ChromiumLookup {
  const configured = env[CHROMIUM_ENV]?.trim();
  if (configured) {
    if (!isExecutable(configured))
      throw new Error(
        `${CHROMIUM_ENV}=${configured} is not an executable file: give the path of a Chromium or Chrome binary, or unset it to search PATH for ${CHROMIUM_NAMES.join(', ')}.`,
      );
    return { found: true, path: configured };
  }
  const dirs = (env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return { found: true, path: candidate };
    }
  }
  return {
    found: false,
    reason: `no Chromium found: none of ${CHROMIUM_NAMES.join(', ')} is on PATH and ${CHROMIUM_ENV} is not set (Debian: apt-get install chromium; or set ${CHROMIUM_ENV} to the browser's path)`,
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
