/**
 * Manual performance check of the load engine against a local mosquitto
 * (not a gate; vitest.config.ts selects this file only with MQTT_TESTBENCH_MEASURE=1):
 *
 *   npm run build && MQTT_TESTBENCH_MEASURE=1 npx vitest run helpers/load/measure.test.ts
 *
 * MQTT_TESTBENCH_MEASURE_ONLY=c-clients,unlimited,steady,bench,bench-full,idle picks groups (default:
 * all but bench-full); MQTT_TESTBENCH_MEASURE_QOS=0,1,2 and MQTT_TESTBENCH_MEASURE_WORKERS=1,2 narrow them,
 * MQTT_TESTBENCH_MEASURE_BENCH_WORKERS=2 runs the mqtt-bench groups in worker threads. 1 KB payloads:
 * - c-clients: the C reference on the same broker in the same run: 1 KB lines | mosquitto_pub -l
 *   -M 1000 → mosquitto_sub (mosquitto-clients), end-to-end received rate per QoS;
 * - unlimited: 1 publisher → 1 subscriber at QoS 0/1/2, in one thread and in two worker threads;
 * - steady: 10,000 msg/s QoS 0 with the "timer" and the "immediate" send schedule (latency, CPU);
 * - bench / bench-full: 1,000 clients × 100 / × 1,000 messages (mqtt-bench, seed 003) at QoS 0/1/2,
 *   publish only (as the peers measure) and with one subscriber (end to end);
 * - idle: memory per idle connection (1,000 clients).
 * One line per run: rates, latency, harness and broker CPU (share of one core), RSS, who set the
 * pace, and the 1-minute load average (the machine may be shared: read the numbers with it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processCpuMs } from '../runtime/proc.js';
import { skipTest } from '../vitest/skip.js';
import { measureIdleConnections } from './idle-connections.js';
import { runLoad } from './run-load.js';
import { startLocalMosquitto, type LocalMosquitto } from './testing/local-mosquitto.js';
import type { LoadResult, WorkloadInput } from './types.js';
import { workerBundleStatus } from './worker/bundle.js';

const ENABLED = process.env.MQTT_TESTBENCH_MEASURE === '1';
const ONLY = new Set((process.env.MQTT_TESTBENCH_MEASURE_ONLY ?? 'c-clients,unlimited,steady,bench,idle').split(','));
const UNLIMITED_MESSAGES = [
  [0, 300_000],
  [1, 150_000],
  [2, 80_000],
] as const;
const ONE_KB = { kind: 'fixed', bytes: 1024 } as const;
const MB = 1024 * 1024;

let mosquitto: LocalMosquitto | undefined;
let url = '';

function ms(us: number): string {
  return (us / 1000).toFixed(us < 10_000 ? 2 : 1);
}

function summary(result: LoadResult, brokerCores: number): string {
  const { counters, throughput, latency, diagnostics: d } = result;
  const e2e = latency.endToEnd;
  const fromIntended = latency.endToEndFromIntended;
  return [
    `${result.workload.name.padEnd(26)}`,
    `load ${(loadavg()[0] ?? 0).toFixed(2)}`,
    `publish-side ${Math.round(throughput.confirmedPerSecond)} msg/s`,
    `received ${Math.round(throughput.receivedPerSecond)} msg/s`,
    `e2e p50 ${ms(e2e.p50)} ms p99 ${ms(e2e.p99)} ms`,
    fromIntended ? `from-intended p50 ${ms(fromIntended.p50)} p99 ${ms(fromIntended.p99)} ms` : '',
    latency.sendDelay ? `send delay p50 ${ms(latency.sendDelay.p50)} p99 ${ms(latency.sendDelay.p99)} ms` : '',
    `lost ${counters.lost}`,
    `harness cpu ${d.cpu.shareOfOneCore} broker cpu ${brokerCores.toFixed(2)}`,
    `elu ${d.eventLoopUtilization} lag p99 ${d.eventLoopLagP99Ms} ms`,
    `rss ${Math.round(d.memory.rssMaxBytes / MB)} MB`,
    `client ${d.client.used}`,
    d.socketQueues
      ? `unread KB harness ${Math.round(d.socketQueues.harnessRxMeanBytes / 1024)}/${Math.round(d.socketQueues.harnessRxMaxBytes / 1024)} broker ${Math.round(d.socketQueues.peerRxMeanBytes / 1024)}/${Math.round(d.socketQueues.peerRxMaxBytes / 1024)} (mean/max)`
      : '',
    `backpressure ${d.backpressureShare}`,
    `connect ${Math.round(result.timingsMs.connect)} ms`,
    `limited by ${d.limitedBy}${d.harnessSaturated ? ` (UNTRUSTWORTHY: ${d.saturationReasons.join('; ')})` : ` (${d.limitEvidence.join('; ')})`}`,
  ]
    .filter(Boolean)
    .join(' | ');
}

async function measure(workload: WorkloadInput): Promise<LoadResult> {
  const pid = mosquitto?.pid ?? 0;
  const brokerBefore = processCpuMs(pid) ?? 0;
  const startMs = performance.now();
  const result = await runLoad({
    publishUrl: url,
    subscribeUrl: url,
    workload: { drainMaxMs: 300_000, ...workload },
    topicFor: (i) => `measure/${workload.name}/${i}`,
    subscribeFilter: `measure/${workload.name}/#`,
    clientIdPrefix: `measure-${workload.name}`,
  });
  const brokerCores = ((processCpuMs(pid) ?? 0) - brokerBefore) / (performance.now() - startMs);
  console.log(summary(result, brokerCores));
  return result;
}

const threadsReady = workerBundleStatus().state === 'ready';
const HAS_C_CLIENTS = ['mosquitto_pub', 'mosquitto_sub'].every(
  (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0,
);

/**
 * The C reference: mosquitto_sub prints only the topic of each message (-F %t), so reading its
 * output costs next to nothing; it is known to be subscribed once a probe published by mqtt.js on a
 * sibling topic comes out (no sleep). Time runs from starting mosquitto_pub to the last data line.
 */
async function measureCClients(qos: 0 | 1 | 2, messages: number): Promise<number> {
  const { hostname: host, port } = new URL(url);
  const base = `measure/c/${qos}/${Date.now()}`;
  // Line-buffered: a pipe is block-buffered, and the last lines would wait for an exit that never comes.
  const sub = spawn(
    'stdbuf',
    ['-oL', 'mosquitto_sub', '-h', host, '-p', port, '-t', `${base}/#`, '-q', String(qos), '-F', '%t'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const probe = await mqtt.connectAsync(url, { clientId: `measure-c-probe-${qos}` });
  try {
    let received = 0;
    let lastDataAt = 0;
    let subscribed!: () => void;
    let done!: () => void;
    const subscribedP = new Promise<void>((resolve) => (subscribed = resolve));
    const doneP = new Promise<void>((resolve) => (done = resolve));
    let buffered = '';
    sub.stdout.setEncoding('utf8');
    sub.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === `${base}/probe`) subscribed();
        else if (line === `${base}/data`) {
          lastDataAt = performance.now();
          if (++received === messages) done();
        }
      }
    });
    const exited = new Promise<never>((_, reject) =>
      sub.once('exit', (code) => reject(new Error(`mosquitto_sub exited with ${code}`))),
    );
    const probing = setInterval(() => probe.publish(`${base}/probe`, 'probe', { qos: 1 }), 20);
    await Promise.race([subscribedP, exited]);
    clearInterval(probing);
    const started = performance.now();
    // -l (a message per stdin line) pipelines up to -M messages; --repeat waits for each confirmation.
    // stdin stays open (cat) until the end: mosquitto_pub 2.0.11 drops what is still queued at EOF.
    const pub = spawn(
      'sh',
      [
        '-c',
        `{ yes "$PAYLOAD" | head -n ${messages}; cat; } | mosquitto_pub -h ${host} -p ${port} -t ${base}/data -q ${qos} -M 1000 -l`,
      ],
      {
        stdio: ['pipe', 'inherit', 'inherit'],
        env: { ...process.env, PAYLOAD: 'a'.repeat(1024) },
        detached: true,
      },
    );
    const pubExit = new Promise<void>((resolve) => pub.once('exit', () => resolve()));
    // Bounded: 3 s without a new message ends the wait (a lossy run).
    const idle = (async () => {
      while (performance.now() - Math.max(lastDataAt, started) < 3_000)
        await new Promise((resolve) => setTimeout(resolve, 100));
    })();
    await Promise.race([doneP, exited, idle]);
    // EOF lets the pipeline end by itself; the group is killed if it does not within 5 s.
    pub.stdin?.end();
    const gone = await Promise.race([
      pubExit.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
    ]);
    if (!gone && pub.pid) process.kill(-pub.pid, 'SIGKILL');
    if (received < messages) console.log(`c-clients-qos${qos}: mosquitto_sub received ${received} of ${messages}`);
    return (received * 1000) / (lastDataAt - started);
  } finally {
    sub.kill();
    await probe.endAsync();
  }
}

// Measurements, not tests: registered only when MQTT_TESTBENCH_MEASURE asks for them.
if (ENABLED)
  describe('load engine throughput and latency against local mosquitto', { timeout: 900_000 }, () => {
    beforeAll(async () => {
      mosquitto = await startLocalMosquitto();
      url = mosquitto.url;
    }, 15_000);
    afterAll(async () => {
      await mosquitto?.stop();
    });

    for (const [qos, messages] of UNLIMITED_MESSAGES.filter(([q]) =>
      (process.env.MQTT_TESTBENCH_MEASURE_QOS ?? '0,1,2').split(',').map(Number).includes(q),
    )) {
      if (ONLY.has('c-clients'))
        it(`C clients (mosquitto_pub → mosquitto_sub) QoS ${qos}`, async (context) => {
          if (!HAS_C_CLIENTS)
            skipTest(
              context,
              'environment',
              'mosquitto_pub/mosquitto_sub are not installed (apt-get install mosquitto-clients)',
            );
          const ratePerSecond = await measureCClients(qos, messages);
          console.log(
            `${`c-clients-qos${qos}`.padEnd(26)} | load ${(loadavg()[0] ?? 0).toFixed(2)} | received ${Math.round(ratePerSecond)} msg/s end to end (1 KB lines | mosquitto_pub -l -q ${qos} -M 1000 → mosquitto_sub)`,
          );
          expect(ratePerSecond).toBeGreaterThan(0);
        });
    }

    for (const workers of (process.env.MQTT_TESTBENCH_MEASURE_WORKERS ?? '1,2').split(',').map(Number)) {
      for (const [qos, messages] of UNLIMITED_MESSAGES.filter(([q]) =>
        (process.env.MQTT_TESTBENCH_MEASURE_QOS ?? '0,1,2').split(',').map(Number).includes(q),
      )) {
        if (ONLY.has('unlimited'))
          it(`QoS ${qos}, unlimited rate, ${workers} thread(s)`, async (context) => {
            if (workers > 1 && !threadsReady)
              skipTest(context, 'environment', 'the worker bundle is not built (npm run build)');
            const result = await measure({
              name: `unlimited-qos${qos}-w${workers}`,
              publishers: 1,
              subscribers: 1,
              qos,
              payload: ONE_KB,
              messages,
              warmupMessages: 5_000,
              inflight: 1_000,
              workers,
            });
            expect(result.counters.lost).toBe(0);
          });
      }
    }

    for (const sendSchedule of ['timer', 'immediate'] as const) {
      if (ONLY.has('steady'))
        it(`QoS 0 latency at a steady 10,000 msg/s, ${sendSchedule} schedule`, async () => {
          const result = await measure({
            name: `steady-10k-qos0-${sendSchedule}`,
            publishers: 1,
            subscribers: 1,
            qos: 0,
            payload: ONE_KB,
            durationMs: 11_000,
            ratePerSecond: 10_000,
            // The first second runs cold (JIT, first GCs, TCP windows): measure the 10 s after it.
            warmupMessages: 10_000,
            sendSchedule,
          });
          expect(result.counters.lost).toBe(0);
        });
    }

    for (const [group, messages] of [
      ['bench', 100],
      ['bench-full', 1_000],
    ] as const) {
      for (const qos of (process.env.MQTT_TESTBENCH_MEASURE_QOS ?? '0,1,2').split(',').map(Number) as (0 | 1 | 2)[]) {
        // 0 subscribers: publish only, as mqtt-bench and its peers measure; 1: end to end.
        for (const subscribers of [0, 1]) {
          if (ONLY.has(group))
            it(`1,000 clients × ${messages} messages QoS ${qos}, ${subscribers} subscriber(s) (mqtt-bench)`, async () => {
              const workers = Number(process.env.MQTT_TESTBENCH_MEASURE_BENCH_WORKERS ?? 1);
              const name = `mqtt-bench-1000x${messages}-qos${qos}-${subscribers === 0 ? 'pub' : 'e2e'}-w${workers}`;
              const result = await measure({
                name,
                publishers: 1_000,
                subscribers,
                qos,
                payload: ONE_KB,
                messages,
                inflight: 1,
                connectConcurrency: 100,
                workers,
              });
              expect(result.counters.sent).toBe(1_000 * messages);
            });
        }
      }
    }

    if (ONLY.has('idle'))
      it('memory per idle connection (1,000 clients)', async () => {
        const report = await measureIdleConnections({ url, connections: 1_000, clientIdPrefix: 'measure-idle' });
        console.log(
          `idle ${report.client} connections ${report.connections} | load ${(loadavg()[0] ?? 0).toFixed(2)} | ${(report.rssPerConnectionBytes / 1024).toFixed(1)} KB RSS and ` +
            `${(report.heapPerConnectionBytes / 1024).toFixed(1)} KB heap per connection | RSS ${Math.round(report.rssBeforeBytes / MB)} → ${Math.round(report.rssAfterBytes / MB)} MB | connect ${report.connectMs} ms | gc ${report.gcForced}`,
        );
        expect(report.connections).toBe(1_000);
      });
  });
