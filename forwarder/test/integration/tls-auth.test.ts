// TLS (CA file, reject_unauthorized) and per-client credentials against a
// mosquitto TLS listener that requires a password.

import { requireOnThisMachine } from '../../../helpers/vitest/skip.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureForwarderBundle } from '../support/bundle.js';
import { closeAllClients, connectClient, subscribeCollector } from '../support/mqtt-clients.js';
import { ForwarderProcess, MosquittoBroker, stopAllProcesses, MOSQUITTO_MISSING } from '../support/processes.js';

const USER = 'forwarder';
const PASSWORD = 'tls-s3cret';
const missingTools =
  MOSQUITTO_MISSING ??
  (spawnSync('openssl', ['version']).status !== 0
    ? 'openssl is not installed (apt-get install openssl)'
    : spawnSync('mosquitto_passwd', ['-h']).error !== undefined
      ? 'mosquitto_passwd is not installed (apt-get install mosquitto)'
      : undefined);

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 signed by it, a second unrelated CA, and a password file. */
function makeMaterial(): string {
  // Not a per-test temp dir: the material is shared by the tests of this file (removed in afterAll).
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-fwd-tls-'));
  const subject = (cn: string) => ['-subj', `/CN=${cn}`];
  run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      ...subject('test-ca'),
    ],
    dir,
  );
  run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'other.key',
      '-out',
      'other-ca.pem',
      '-days',
      '1',
      ...subject('other-ca'),
    ],
    dir,
  );
  run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subject('127.0.0.1')],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  run('mosquitto_passwd', ['-b', '-c', join(dir, 'passwords'), USER, PASSWORD], dir);
  // mosquitto drops root privileges: let its user read the material.
  chmodSync(dir, 0o755);
  for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  return dir;
}

describe('TLS and credentials', { timeout: 60_000 }, () => {
  requireOnThisMachine(missingTools);
  let material: string;
  beforeAll(async () => {
    await ensureForwarderBundle();
    material = makeMaterial();
  }, 60_000);
  afterEach(async () => {
    await closeAllClients();
    await stopAllProcesses();
  });
  afterAll(() => rmSync(material, { recursive: true, force: true }));

  const startTlsBroker = () =>
    MosquittoBroker.start({
      extraConfig: [
        `cafile ${join(material, 'ca.pem')}`,
        `certfile ${join(material, 'server.pem')}`,
        `keyfile ${join(material, 'server.key')}`,
        `password_file ${join(material, 'passwords')}`,
        'allow_anonymous false',
      ],
    });

  const config = (downstreamPort: number, upstreamPort: number, upstreamFields: Record<string, unknown>) => ({
    clients: [
      { name: 'down', ip: '127.0.0.1', port: downstreamPort, client_id: 'it-tls-down' },
      { name: 'up', ip: '127.0.0.1', port: upstreamPort, client_id: 'it-tls-up', ...upstreamFields },
    ],
    rules: [{ name: 't', source: { client: 'down', topic: 't/#' }, target: { client: 'up', topic: 't/#' } }],
  });

  it('forwards to a TLS listener that requires a user name and password', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await startTlsBroker();
    const forwarder = ForwarderProcess.spawn(
      config(downstream.port, upstream.port, {
        tls: { ca: join(material, 'ca.pem') },
        username: USER,
        password: PASSWORD,
      }),
    );
    await forwarder.waitForReady();
    const subscriber = await connectClient(upstream.port, {
      protocol: 'mqtts',
      ca: [readFileSync(join(material, 'ca.pem'))],
      username: USER,
      password: PASSWORD,
    });
    const seen = await subscribeCollector(subscriber, 't/#', 1);
    await (await connectClient(downstream.port)).publishAsync('t/x', 'over tls', { qos: 1 });
    const [got] = await seen.waitFor(1, 't/x');
    expect(got?.payload.toString()).toBe('over tls');
    expect(forwarder.rawStderr.join('\n')).not.toContain(PASSWORD);
    expect(await forwarder.stop()).toBe(0);
  });

  it('refuses a broker certificate from another CA (reject_unauthorized true) and logs why', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await startTlsBroker();
    const forwarder = ForwarderProcess.spawn(
      config(downstream.port, upstream.port, {
        tls: { ca: join(material, 'other-ca.pem') },
        username: USER,
        password: PASSWORD,
      }),
    );
    const error = await forwarder.waitForLog(
      (r) => r.msg === 'connection error' && r.client === 'up',
      'a TLS connection error',
    );
    expect(JSON.stringify(error.error)).toMatch(/certificate|self.signed/i);
    expect(forwarder.records.some((r) => r.msg === 'forwarder ready')).toBe(false);
  });

  it('does not get ready with a wrong password, and says so', async () => {
    const downstream = await MosquittoBroker.start();
    const upstream = await startTlsBroker();
    const forwarder = ForwarderProcess.spawn(
      config(downstream.port, upstream.port, {
        tls: { ca: join(material, 'ca.pem') },
        username: USER,
        password: 'wrong',
      }),
    );
    const error = await forwarder.waitForLog(
      (r) => r.msg === 'connection error' && r.client === 'up',
      'a refused CONNECT',
    );
    expect(JSON.stringify(error.error)).toMatch(/Not authorized|Bad username or password/i);
  });
});
