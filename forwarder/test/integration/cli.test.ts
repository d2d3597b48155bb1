// The bundled CLI as a process: --validate-only, -h, exit codes, config lookup,
// and that the bundle runs alone (no node_modules next to it).

import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureForwarderBundle } from '../support/bundle.js';
import { FORWARDER_BUNDLE, ForwarderProcess, REPO_ROOT, makeTempDir, stopAllProcesses } from '../support/processes.js';

const FIXTURES = join(REPO_ROOT, 'forwarder/test/fixtures');

async function run(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const cli = ForwarderProcess.spawn(null, { args, ...options });
  const code = await cli.exited;
  return { code, stdout: cli.stdout.join('\n'), records: cli.records };
}

describe('mqtt-forwarder CLI', { timeout: 60_000 }, () => {
  beforeAll(ensureForwarderBundle, 60_000);
  afterEach(stopAllProcesses);

  it('--validate-only exits 0 with a one-line summary for a valid config', async () => {
    const { code, stdout } = await run(['-c', join(FIXTURES, 'valid_config.json'), '--validate-only']);
    expect(code).toBe(0);
    expect(stdout).toBe(
      `config OK: ${join(FIXTURES, 'valid_config.json')}: 2 clients (test_upstream 127.0.0.1:1883, test_downstream 127.0.0.1:1884), 1 enabled rule (test_rule: test_downstream:/test/# -> test_upstream:/test/# EventCall), 0 disabled`,
    );
  });

  it.each([
    ['invalid_config.json', ['mqtt.port', 'clients[0].client_id', 'clients[0].ip', 'rules']],
    ['no_rules_config.json', ['rules']],
    ['invalid_json_config.json', ['']],
  ])('--validate-only exits 2 for %s and logs each error with its path', async (fixture, paths) => {
    const { code, records, stdout } = await run([`--config=${join(FIXTURES, fixture)}`, '--validate-only']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(records.filter((r) => String(r.msg).startsWith('config error')).map((r) => r.path)).toEqual(paths);
    expect(records.at(-1)?.msg).toBe(
      `config has ${paths.length} error${paths.length === 1 ? '' : 's'}; nothing was started`,
    );
  });

  it('-h prints usage with the exit codes and exits 0', async () => {
    const { code, stdout } = await run(['-h']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: mqtt-forwarder/);
    expect(stdout).toMatch(/2 invalid config or arguments/);
  });

  it('exits 2 on an unknown argument', async () => {
    const { code, records } = await run(['--frobnicate']);
    expect(code).toBe(2);
    expect(records[0]?.msg).toBe('unknown argument "--frobnicate"; see --help');
  });

  it('looks for ./config.json when -c is absent, and exits 2 when there is none', async () => {
    const dir = makeTempDir('mqtt-fwd-cwd-');
    const none = await run(['--validate-only'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(String(none.records[0]?.msg)).toMatch(
      /no config file: pass -c FILE, or create one of \.\/config\.json, \/etc\/mqtt-forwarder\.json/,
    );
    copyFileSync(join(FIXTURES, 'valid_config.json'), join(dir, 'config.json'));
    const found = await run(['--validate-only'], { cwd: dir });
    expect(found.code).toBe(0);
    expect(found.stdout).toContain(`config OK: ${join(dir, 'config.json')}`);
  });

  it('rejects an invalid LOG_LEVEL as a config error', async () => {
    const { code, records } = await run(['-c', join(FIXTURES, 'valid_config.json'), '--validate-only'], {
      env: { LOG_LEVEL: 'loud' },
    });
    expect(code).toBe(2);
    expect(records[0]?.path).toBe('LOG_LEVEL (environment)');
  });

  it('LOG_LEVEL overrides log_level', async () => {
    const dir = makeTempDir('mqtt-fwd-cwd-');
    const config = {
      log_level: 'error',
      mqtt: { qos: 1 },
      clients: [
        { name: 'a', ip: 'h', client_id: 'a' },
        { name: 'b', ip: 'h', port: 2, client_id: 'b' },
      ],
      rules: [{ name: 'r', source: { client: 'a', topic: 'x' }, target: { client: 'b', topic: 'x' } }],
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const quiet = await run(['--validate-only'], { cwd: dir });
    expect(quiet.records.filter((r) => r.level === 'warn')).toEqual([]);
    const loud = await run(['--validate-only'], { cwd: dir, env: { LOG_LEVEL: 'warn' } });
    expect(loud.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      'mqtt.qos (1) is not applied, as in the C forwarder; each message keeps the QoS it was published with (qos_policy "preserve"). Set "qos_policy": 1 to force that QoS',
    ]);
  });

  it('the bundle is self-contained: a lone copy in a temp dir runs', async () => {
    const dir = makeTempDir('mqtt-fwd-alone-');
    const copy = join(dir, 'mqtt-forwarder.mjs');
    copyFileSync(FORWARDER_BUNDLE, copy);
    copyFileSync(join(FIXTURES, 'valid_config.json'), join(dir, 'config.json'));
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(process.execPath, [copy, '--validate-only'], { cwd: dir, encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/Cannot find (module|package)/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^config OK: /);
  });
});
