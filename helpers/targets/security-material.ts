import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Availability, Settings } from '../model/index.js';
import { runContext } from '../runtime/run-context.js';
import { DOWNSTREAM_ALIAS, UPSTREAM_ALIAS } from './target.js';
import { mosquittoPasswordLine } from '../security/mosquitto-passwd.js';
import { registerSecret } from '../security/redact.js';

const run = promisify(execFile);

/** The one user of the secured brokers. Not a secret. */
export const SECURE_USERNAME = 'mqtt-testbench';
/** The ACL lets that user publish and subscribe under this root only (every test topic lives there). */
export const SECURE_TOPIC_FILTER = 'mtb/#';
/** Names the server certificate is valid for: this host by name and address, and the topology's network aliases. */
export const CERTIFICATE_NAMES = [
  'DNS:localhost',
  'IP:127.0.0.1',
  'IP:::1',
  `DNS:${DOWNSTREAM_ALIAS}`,
  `DNS:${UPSTREAM_ALIAS}`,
];
const CERTIFICATE_DAYS = '3';
const OPENSSL_TIMEOUT_MS = 30_000;
const SECURITY_FOLDER = 'security';
const SECRETS_FILE = 'secrets.json';

export interface SecurityMaterial {
  username: string;
  password: string;
  /** PEM of the run's CA (what clients must trust). */
  caPem: string;
  /** Files in the run's temp folder (removed with it at the end of the run). */
  files: {
    ca: string;
    /** Server certificate (signed by the CA) and its private key, for every secured broker of the run. */
    cert: string;
    key: string;
    /** Mosquitto password file (PBKDF2-SHA512 hash, as mosquitto_passwd writes it). */
    passwords: string;
    /** Mosquitto ACL: the user may read and write `mtb/#`, nothing else. */
    acl: string;
  };
}

/** Where a run keeps its credentials (for the reporter, which scrubs them from reports). */
export function runSecretsFile(runDir: string): string {
  return join(runDir, SECURITY_FOLDER, SECRETS_FILE);
}

/** The secrets a run's brokers use, if that run created any (empty otherwise). Never throws. */
export function readRunSecrets(runDir: string): string[] {
  try {
    const { password } = JSON.parse(readFileSync(runSecretsFile(runDir), 'utf8')) as { password?: unknown };
    return typeof password === 'string' ? [password] : [];
  } catch {
    return []; // no secured broker ran, or the run's folder is gone
  }
}

let cached: { runDir: string; material: Promise<SecurityMaterial> } | undefined;

/**
 * The run's TLS and authentication material, created by the first process of the run that needs
 * it and shared by every later one (test workers of one run see the same folder): a CA and a
 * server certificate generated now with the openssl CLI, a random password (or
 * MQTT_TESTBENCH_SECURE_PASSWORD) hashed into a Mosquitto password file, and an ACL. The password
 * is registered for redaction in this process.
 */
export function securityMaterial(settings: Pick<Settings, 'securePassword'>): Promise<SecurityMaterial> {
  const { runDir } = runContext();
  if (cached?.runDir !== runDir) {
    const material = loadOrCreate(runDir, settings.securePassword);
    material.catch(() => {
      if (cached?.material === material) cached = undefined; // a later call tries again
    });
    cached = { runDir, material };
  }
  return cached.material;
}

/** Whether the openssl CLI that generates the certificates can run here. Never throws. */
export async function opensslAvailability(): Promise<Availability> {
  try {
    const { stdout } = await run('openssl', ['version'], { timeout: OPENSSL_TIMEOUT_MS });
    return { ok: true, detail: stdout.trim() };
  } catch (error) {
    return {
      ok: false,
      reason: `the openssl command, which generates the test certificates, cannot run (${(error as Error).message.split('\n')[0]}): install openssl (apt-get install openssl).`,
    };
  }
}

async function loadOrCreate(runDir: string, fixedPassword: string | undefined): Promise<SecurityMaterial> {
  const dir = join(runDir, SECURITY_FOLDER);
  if (!existsSync(join(dir, SECRETS_FILE))) {
    // Generated aside and renamed into place: a process that loses the race uses the winner's.
    const staging = mkdtempSync(join(runDir, `${SECURITY_FOLDER}-`));
    try {
      await generate(staging, fixedPassword ?? randomBytes(18).toString('base64url'));
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(dir, SECRETS_FILE))) throw error;
    }
  }
  const { username, password } = JSON.parse(readFileSync(join(dir, SECRETS_FILE), 'utf8')) as {
    username: string;
    password: string;
  };
  registerSecret(password);
  const files = filesIn(dir);
  return { username, password, caPem: readFileSync(files.ca, 'utf8'), files };
}

function filesIn(dir: string): SecurityMaterial['files'] {
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    passwords: join(dir, 'passwords'),
    acl: join(dir, 'acl'),
  };
}

async function generate(dir: string, password: string): Promise<void> {
  const files = filesIn(dir);
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  // EC P-256 keys: generated in milliseconds (RSA 2048 takes a noticeable fraction of a second).
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    '-new',
    ...newKey,
    '-keyout',
    caKey,
    '-out',
    files.ca,
    '-days',
    CERTIFICATE_DAYS,
    '-subj',
    `/CN=mqtt-testbench test CA ${runContext().runId}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(['req', '-new', ...newKey, '-keyout', files.key, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(
    extensions,
    [
      `subjectAltName=${CERTIFICATE_NAMES.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.ca,
    '-CAkey',
    caKey,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    CERTIFICATE_DAYS,
    '-extfile',
    extensions,
    '-out',
    files.cert,
  ]);
  // Nothing signs anything later: the CA key goes at once.
  for (const file of [caKey, csr, extensions]) rmSync(file, { force: true });
  writeFileSync(files.passwords, `${mosquittoPasswordLine(SECURE_USERNAME, password)}\n`, { mode: 0o600 });
  writeFileSync(
    files.acl,
    [
      `# generated by mqtt-testbench: ${SECURE_USERNAME} may publish and subscribe under ${SECURE_TOPIC_FILTER} only`,
      `user ${SECURE_USERNAME}`,
      `topic readwrite ${SECURE_TOPIC_FILTER}`,
      '',
    ].join('\n'),
  );
  // Last: its presence marks the folder complete.
  writeFileSync(join(dir, SECRETS_FILE), JSON.stringify({ username: SECURE_USERNAME, password }), { mode: 0o600 });
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `generating the test certificates failed: openssl ${args[0]} ${stderr ? `said: ${stderr.split('\n').slice(0, 3).join(' | ')}` : (error as Error).message}`,
      { cause: error },
    );
  }
}
