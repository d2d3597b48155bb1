import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findChromium } from './find-chromium.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mtb-chromium-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function executable(folder: string, name: string): string {
  mkdirSync(join(dir, folder), { recursive: true });
  const path = join(dir, folder, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('findChromium', () => {
  test('takes the first usual name found on PATH, in the order of the names', () => {
    const chrome = executable('a', 'google-chrome');
    const chromium = executable('b', 'chromium-browser');
    expect(findChromium({ PATH: `${join(dir, 'a')}:${join(dir, 'b')}` })).toEqual({ found: true, path: chromium });
    expect(findChromium({ PATH: join(dir, 'a') })).toEqual({ found: true, path: chrome });
  });

  test('a file that is not executable does not count; nothing found gives the reason to skip', () => {
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'chromium'), '');
    const lookup = findChromium({ PATH: join(dir, 'c') });
    expect(lookup.found).toBe(false);
    expect(lookup.found ? '' : lookup.reason).toMatch(
      /^no Chromium found: none of chromium, chromium-browser, google-chrome, google-chrome-stable is on PATH .*set MQTT_TESTBENCH_CHROMIUM/,
    );
  });

  test('MQTT_TESTBENCH_CHROMIUM wins over PATH, and must name an executable', () => {
    const custom = executable('d', 'my-browser');
    executable('e', 'chromium');
    expect(findChromium({ PATH: join(dir, 'e'), MQTT_TESTBENCH_CHROMIUM: custom })).toEqual({
      found: true,
      path: custom,
    });
    expect(() => findChromium({ MQTT_TESTBENCH_CHROMIUM: join(dir, 'missing') })).toThrow(
      /MQTT_TESTBENCH_CHROMIUM=.*missing is not an executable file/,
    );
  });
});
