import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startAedes, type TestBroker } from '../load/testing/aedes-broker.js';
import { runCli } from './cli.js';
import type { LoadSummary } from './load-summary.js';

let cwd: string;
let out: string[];
let err: string[];
let broker: TestBroker | undefined;

let env: NodeJS.ProcessEnv = {};

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env });
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-cli-load-'));
  out = [];
  err = [];
  env = {};
});
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  rmSync(cwd, { recursive: true, force: true });
});

describe('mqtt-testbench load', { timeout: 30_000 }, () => {
  test('runs a workload from flags against a broker URL and prints the JSON summary', async () => {
    broker = await startAedes();
    const code = await cli(
      'load',
      '--url',
      broker.url,
      '--publishers',
      '2',
      '--subscribers',
      '1',
      '--qos',
      '1',
      '--messages',
      '500',
      '--size',
      '1024',
      '--inflight',
      '100',
      '--json',
      '--out',
      'result.json',
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('\n')) as LoadSummary;
    expect(summary).toMatchObject({
      schemaVersion: 1,
      qos: 1,
      publishers: 2,
      subscribers: 1,
      payloadBytes: 1024,
      payload: '1024 bytes',
      requestedRate: null,
      warmup: null,
      attempted: 1000,
      sent: 1000,
      unconfirmed: 0,
      received: 1000,
      expected: 1000,
      lost: 0,
      lostUnacknowledged: 0,
      duplicates: 0,
      corrupted: 0,
      drain: { outcome: 'complete', idleMs: 3000 },
      verdict: 'not gated',
      gates: [],
      hints: [],
      errors: [],
    });
    expect(summary.target).toEqual({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      publishTopic: expect.stringMatching(/^mtb\/load\/\w+\/p0$/) as string,
      subscribeFilter: expect.stringMatching(/^mtb\/load\/\w+\/#$/) as string,
    });
    expect(Date.parse(summary.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(summary.durationMs).toBeGreaterThan(0);
    expect(summary.sentRate).toBeGreaterThan(0);
    expect(summary.receivedRate).toBeGreaterThan(0);
    const latency = summary.latencyUs;
    const ack = summary.publishAckLatencyUs;
    if (!latency || !ack) throw new Error(`latencies missing at QoS 1: ${JSON.stringify({ latency, ack })}`);
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p50).toBeLessThanOrEqual(latency.p99);
    expect(latency.p99_9).toBeLessThanOrEqual(latency.max);
    expect(ack.p50).toBeGreaterThan(0);
    expect(ack.p50).toBeLessThanOrEqual(ack.p99);
    expect(summary.latencyFromIntendedUs).toBeNull();
    const full = JSON.parse(readFileSync(join(cwd, 'result.json'), 'utf8')) as {
      counters: { sent: number };
      latency: { endToEnd: { histogram: string } };
    };
    expect(full.counters.sent).toBe(1000);
    expect(full.latency.endToEnd.histogram.length).toBeGreaterThan(10);
  });

  test('takes a workload file, flags override its fields, and a rate-limited run reports latency from the intended send time', async () => {
    broker = await startAedes();
    writeFileSync(
      join(cwd, 'w.json'),
      JSON.stringify({
        name: 'steady',
        publishers: 1,
        subscribers: 2,
        qos: 0,
        payload: { kind: 'fixed', bytes: 512 },
        durationMs: 5000,
        ratePerSecond: 1000,
      }),
    );
    const code = await cli('load', 'w.json', '--url', broker.url, '--messages', '300');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^steady: 1 publisher\(s\) → 2 subscriber\(s\), QoS 0, payload 512 bytes/);
    expect(text).toMatch(/received {2}600\/600 unique/);
    expect(text).toMatch(/latency from the intended send time {2}p50 [\d.]+ ms/);
    expect(text).not.toMatch(/acked|gates|verdict/); // QoS 0 is not acknowledged; no gate option was given
  });

  test('--subscribers 0: what was not measured is null, not 0; warm-up is counted apart', async () => {
    broker = await startAedes();
    const code = await cli(
      'load',
      '-L',
      broker.url,
      '-q',
      '1',
      '--subscribers',
      '0',
      '--messages',
      '200',
      '--warmup',
      '50',
      '--json',
    );
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('\n')) as LoadSummary;
    expect(summary).toMatchObject({
      attempted: 250,
      sent: 250,
      unconfirmed: 0,
      warmup: { perPublisher: 50, sent: 50, received: null },
      receivedRate: null,
      received: null,
      expected: null,
      lost: null,
      lostUnacknowledged: null,
      duplicates: null,
      corrupted: null,
      latencyUs: null,
      target: { subscribeFilter: null },
    });
    expect(summary.publishAckLatencyUs?.p99).toBeGreaterThan(0);

    out = [];
    expect(await cli('load', '-L', broker.url, '--messages', '200', '--warmup', '50')).toBe(0);
    expect(out.join('\n')).toMatch(/sent {6}250 attempted · 250 confirmed/);
    expect(out.join('\n')).toMatch(
      /warm-up {3}50 per publisher: 50 confirmed, 50 received \(in the counts above, not in rates or latencies\)/,
    );
  });

  test('--subscribe-topic receives through a forwarder that remaps topics', async () => {
    broker = await startAedes();
    const server = broker.broker;
    // An in-broker forwarder: every message under in/ is published again under out/.
    server.on('publish', (packet, client) => {
      if (!client || !packet.topic.startsWith('in/')) return;
      server.publish({ ...packet, topic: `out/${packet.topic}`, retain: false }, () => undefined);
    });
    const args = ['load', '-L', broker.url, '-t', 'in/load', '-q', '1', '--messages', '300', '--json'];
    expect(await cli(...args, '--subscribe-topic', 'out/in/load/#')).toBe(0);
    const summary = JSON.parse(out.join('\n')) as LoadSummary;
    expect(summary).toMatchObject({ received: 300, lost: 0, target: { subscribeFilter: 'out/in/load/#' } });

    expect(await cli(...args, '--subscribe-topic', 'out/#/load')).toBe(2);
    expect(err.at(-1)).toMatch(/--subscribe-topic out\/#\/load: a topic filter "#" must be the last level/);
    expect(await cli(...args, '--subscribe-topic', 'out/#', '--subscribers', '0')).toBe(2);
    expect(err.at(-1)).toMatch(/--subscribe-topic with --subscribers 0/);
  });

  test('bad input exits 2 before connecting, naming the option or field and what is allowed', async () => {
    expect(await cli('load', '--qos', '1')).toBe(2);
    expect(err.at(-1)).toMatch(/--url is required/);
    expect(await cli('load', '--url', 'mqtt://127.0.0.1:1', '--qos', '3', '--size', '10')).toBe(2);
    expect(err.at(-1)).toMatch(/qos: got 3; allowed: 0, 1 or 2/);
    expect(err.at(-1)).toMatch(/payload\.bytes: got 10; allowed: an integer from 148/);
    expect(err.at(-1)).toMatch(/--size → payload\.bytes/);
    expect(await cli('load', '--url', 'mqtt://127.0.0.1:1', '--messages', 'many')).toBe(2);
    expect(err.at(-1)).toMatch(/--messages many is not an integer/);
    writeFileSync(join(cwd, 'bad.json'), '{"name": "x",\n  }');
    expect(await cli('load', 'bad.json', '--url', 'mqtt://127.0.0.1:1')).toBe(2);
    expect(err.at(-1)).toMatch(/bad\.json: invalid JSON at line 2, column 3/);
    expect(await cli('load', '--url', 'mqtt://127.0.0.1:1', '--topic', 'a/#')).toBe(2);
    expect(err.at(-1)).toMatch(/--topic a\/#/);
  });

  test('a broker that is not there exits 1 with the client and URL, and a password in the URL is never printed', async () => {
    const code = await cli('load', '--url', 'mqtt://user:s3cret-pw@127.0.0.1:1', '--messages', '10');
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/connecting to mqtt:\/\/user:\*+@127\.0\.0\.1:1 failed: connect ECONNREFUSED/);
    expect(err.join('\n')).not.toMatch(/s3cret-pw/);
  });

  test('--username with --password-file, or with MQTT_TESTBENCH_EXTERNAL_PASSWORD: every client sends them, and the password is never printed', async () => {
    const seen: string[] = [];
    broker = await startAedes({
      authenticate: (_client, username, password, done) => {
        seen.push(`${username ?? ''}:${password?.toString() ?? ''}`);
        const ok = username === 'alice' && password?.toString() === 'file-secret-1';
        done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
      },
    });
    writeFileSync(join(cwd, 'pw.txt'), 'file-secret-1\n');
    const args = ['load', '-L', broker.url, '-u', 'alice', '--messages', '20', '--json'];
    expect(await cli(...args, '--password-file', 'pw.txt')).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ sent: 20, received: 20 });
    // 1 publisher + 1 subscriber, each with the file's first line as the password.
    expect(seen).toEqual(['alice:file-secret-1', 'alice:file-secret-1']);

    seen.length = 0;
    out = [];
    env = { MQTT_TESTBENCH_EXTERNAL_PASSWORD: 'file-secret-1' };
    expect(await cli(...args)).toBe(0);
    expect(seen).toEqual(['alice:file-secret-1', 'alice:file-secret-1']);

    env = { MQTT_TESTBENCH_EXTERNAL_PASSWORD: 'wrong-secret-2' };
    expect(await cli(...args)).toBe(1);
    expect(err.join('\n')).toMatch(/Bad username or password|not authorized|refused/i);
    expect([...out, ...err].join('\n')).not.toMatch(/file-secret-1|wrong-secret-2/);
  });
});
