import { skipTest } from '../vitest/skip.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { mosquittoPasswordLine } from './mosquitto-passwd.js';

const haveTool = spawnSync('mosquitto_passwd', ['-h']).error === undefined;

test('the password line is what mosquitto_passwd -b writes for the same salt (PBKDF2-SHA512, $7$)', (context) => {
  if (!haveTool) skipTest(context, 'environment', 'mosquitto_passwd is not installed (apt-get install mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'mtb-passwd-'));
  try {
    execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwords'), 'alice', 'correct horse']);
    const written = readFileSync(join(dir, 'passwords'), 'utf8').trim();
    const [, , iterations, salt] = written.split('$');
    expect(mosquittoPasswordLine('alice', 'correct horse', Buffer.from(salt ?? '', 'base64'), Number(iterations))).toBe(
      written,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fresh line has a random salt and refuses user names Mosquitto cannot read', () => {
  expect(mosquittoPasswordLine('u', 'pw')).toMatch(/^u:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  expect(mosquittoPasswordLine('u', 'pw')).not.toBe(mosquittoPasswordLine('u', 'pw'));
  expect(() => mosquittoPasswordLine('a:b', 'pw')).toThrow('cannot go into a Mosquitto password file');
});
