// Benchmark of the reference forwarder on loopback (not a timed test).
// Run: node forwarder/bench/run.mjs   (see forwarder/README.md)
//
// Starts two local mosquitto processes (downstream, upstream), the bundled
// forwarder between them, and a publisher/subscriber pair, then measures:
//   1. QoS 0 throughput with zero loss: a publisher as fast as the broker takes
//      it (socket backpressure), direct path vs forwarder pass-through vs
//      forwarder EventCall;
//   2. QoS 1 end to end through the forwarder (1,000 publishes in flight);
//   3. latency at 5k msg/s, direct and through the forwarder (added p50/p99);
//   4. forwarder RSS while the upstream broker is down for 10 s under 5k msg/s.
// ~150-byte JSON payloads. Numbers depend on the machine: the brokers, the
// forwarder and this load generator share its cores.

import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import {
  ForwarderProcess,
  cpuTimeMs,
  MosquittoBroker,
  MOSQUITTO_MISSING,
  rssBytes,
  stopAllProcesses,
} from '../test/support/processes.js';
import { RawClient } from './raw-mqtt.js';

const QUICK = process.argv.includes('--quick');
/** Set FORWARDER_CPU_PROF_DIR to write a V8 CPU profile of the forwarder there (on its exit). */
const PROFILE_DIR = process.env.FORWARDER_CPU_PROF_DIR;
const QOS0_COUNT = QUICK ? 100_000 : 300_000;
/** The saturating publisher keeps at most this much unsent data in its socket. */
const MAX_PUBLISH_BACKLOG_BYTES = 512 * 1024;
const SATURATE_BATCH = 500;
const QOS1_COUNT = QUICK ? 30_000 : 100_000;
const QOS1_WINDOW = 1000;
const LATENCY_RATE = 5000;
const LATENCY_SECONDS = QUICK ? 2 : 5;
const OUTAGE_RATE = 5000;
const OUTAGE_SECONDS = QUICK ? 4 : 10;
const RSS_SAMPLE_MS = 250;
const IDLE_LIMIT_MS = 2000;
const PAYLOAD_BYTES = 150;
const TICK_MS = 1;

interface LoadResult {
  sent: number;
  received: number;
  duplicates: number;
  lost: number;
  /** Unique messages per second from the first send to the last receive. */
  rate: number;
  /** Forwarder CPU time per forwarded message, in µs (when a forwarder pid was given). */
  forwarderCpuUsPerMessage?: number;
}

/** Runs a load and, when `pid` is given, measures that process's CPU time per received message. */
async function withCpu(pid: number | null, load: () => Promise<LoadResult>): Promise<LoadResult> {
  if (pid === null) return load();
  const before = cpuTimeMs(pid);
  const result = await load();
  const usedMs = cpuTimeMs(pid) - before;
  return {
    ...result,
    forwarderCpuUsPerMessage: Math.round(((usedMs * 1000) / Math.max(1, result.received)) * 10) / 10,
  };
}

const capacity = (r: LoadResult) =>
  r.forwarderCpuUsPerMessage === undefined
    ? ''
    : `; forwarder CPU ${r.forwarderCpuUsPerMessage} µs/msg (~${Math.round(1e6 / Math.max(0.1, r.forwarderCpuUsPerMessage) / 1000)}k msg/s per core)`;

function payloadFor(seq: number, sentAtMs: number): Buffer {
  const head = `{"seq":${seq},"ts":${sentAtMs.toFixed(3)},"device":"dev-0001","temp":23.45,"hum":56.7,"status":"ok","values":[1.1,2.2,3.3],"pad":"`;
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, PAYLOAD_BYTES - head.length - 2))}"}`);
}

function numberAfter(text: string, key: string): number {
  const at = text.indexOf(key);
  if (at < 0) return NaN;
  const start = at + key.length;
  let end = start;
  while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
  return Number(text.slice(start, end));
}

let runCounter = 0;

interface LoadOptions {
  pubPort: number;
  subPort: number;
  /** Topic prefix the forwarder rule matches (e.g. "pt" or "ev"). */
  prefix: string;
  qos: 0 | 1;
  count: number;
  /** Messages per second; null: keep `window` publishes unacknowledged (QoS 1); Infinity: as fast as the socket drains. */
  rate: number | null;
  window?: number;
  latency?: hdr.Histogram;
}

async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const topicBase = `${options.prefix}/run${++runCounter}`;
  const seen = new Uint8Array(options.count);
  let received = 0;
  let duplicates = 0;
  let lastReceiveAt = performance.now();
  const subscriber = await RawClient.connect(options.subPort, `bench-sub-${runCounter}`);
  subscriber.onPublish = (packet) => {
    const now = performance.now();
    const text = (packet.payload as Buffer).toString('latin1');
    const seq = numberAfter(text, '"seq":');
    if (!(seq >= 0 && seq < options.count)) return;
    if (seen[seq] === 1) {
      duplicates++;
      return;
    }
    seen[seq] = 1;
    received++;
    lastReceiveAt = now;
    if (options.latency)
      options.latency.recordValue(Math.max(1, Math.round((now - numberAfter(text, '"ts":')) * 1000)));
  };
  await subscriber.subscribe(`${topicBase}/#`, options.qos);
  const publisher = await RawClient.connect(options.pubPort, `bench-pub-${runCounter}`);
  const topic = `${topicBase}/dev-0001`;
  const startedAt = performance.now();
  let sent = 0;
  const sendOne = () => {
    publisher.publish(topic, payloadFor(sent, performance.now()), options.qos);
    sent++;
  };
  await new Promise<void>((resolve) => {
    if (options.rate === null) {
      let unacked = 0;
      const fill = () => {
        while (sent < options.count && unacked < (options.window ?? QOS1_WINDOW)) {
          sendOne();
          unacked++;
        }
        if (sent >= options.count) resolve();
      };
      publisher.onPubacks = (n) => {
        unacked -= n;
        fill();
      };
      fill();
      return;
    }
    const rate = options.rate;
    if (rate === Infinity) {
      const blast = () => {
        for (
          let i = 0;
          i < SATURATE_BATCH && sent < options.count && publisher.backlogBytes < MAX_PUBLISH_BACKLOG_BYTES;
          i++
        )
          sendOne();
        if (sent >= options.count) resolve();
        else setImmediate(blast);
      };
      blast();
      return;
    }
    const tick = () => {
      const due = Math.min(options.count, Math.floor(((performance.now() - startedAt) * rate) / 1000));
      while (sent < due) sendOne();
      if (sent >= options.count) resolve();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  await new Promise<void>((resolve) => {
    const check = () => {
      if (received >= options.count || performance.now() - lastReceiveAt > IDLE_LIMIT_MS) resolve();
      else setTimeout(check, 20);
    };
    lastReceiveAt = performance.now();
    check();
  });
  publisher.close();
  subscriber.close();
  const seconds = (lastReceiveAt - startedAt) / 1000;
  return { sent, received, duplicates, lost: sent - received, rate: Math.round(received / seconds) };
}

async function saturate(
  label: string,
  pubPort: number,
  subPort: number,
  prefix: string,
  forwarderPid: number | null,
): Promise<LoadResult> {
  const result = await withCpu(forwarderPid, () =>
    runLoad({ pubPort, subPort, prefix, qos: 0, count: QOS0_COUNT, rate: Infinity }),
  );
  console.log(`  ${label}: ${result.rate}/s, lost ${result.lost} of ${result.sent}${capacity(result)}`);
  return result;
}

function percentiles(h: hdr.Histogram) {
  return { p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, count: h.totalCount };
}

/** Asks for the counters until nothing is in flight or queued (the backlog after an outage is forwarded). */
async function waitForIdle(forwarder: ForwarderProcess): Promise<void> {
  for (;;) {
    const stats = await forwarder.freshStats(30_000);
    if (stats.inflight_source === 0 && stats.inflight_target === 0 && stats.queued === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function measureOutage(
  forwarder: ForwarderProcess,
  upstream: MosquittoBroker,
  downstreamPort: number,
  qos: 0 | 1,
): Promise<{ baselineMb: number; peakMb: number; afterMb: number }> {
  const toMb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
  const baseline = rssBytes(forwarder.pid);
  const publisher = await RawClient.connect(downstreamPort, `bench-outage-${qos}`);
  const topic = `pt/outage${qos}/dev-0001`;
  let sent = 0;
  const startedAt = performance.now();
  let stopLoad = false;
  const tick = () => {
    const due = Math.floor(((performance.now() - startedAt) * OUTAGE_RATE) / 1000);
    while (sent < due) publisher.publish(topic, payloadFor(sent++, performance.now()), qos);
    if (!stopLoad) setTimeout(tick, TICK_MS);
  };
  tick();
  await new Promise((r) => setTimeout(r, 1000));
  await upstream.stop();
  let peak = baseline;
  const samples = Math.round((OUTAGE_SECONDS * 1000) / RSS_SAMPLE_MS);
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, RSS_SAMPLE_MS));
    peak = Math.max(peak, rssBytes(forwarder.pid));
  }
  const reconnectsBefore = forwarder.records.filter((r) => r.msg === 'forwarder reconnected').length;
  await upstream.restart();
  await forwarder.waitForLog(
    () => forwarder.records.filter((r) => r.msg === 'forwarder reconnected').length > reconnectsBefore,
    'the upstream reconnect',
    30_000,
  );
  stopLoad = true;
  publisher.close();
  await waitForIdle(forwarder);
  const after = rssBytes(forwarder.pid);
  return { baselineMb: toMb(baseline), peakMb: toMb(peak), afterMb: toMb(after) };
}

async function main(): Promise<void> {
  const { loadavg, cpus } = await import('node:os');
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other processes share these cores)`,
  );
  if (MOSQUITTO_MISSING) throw new Error(MOSQUITTO_MISSING);
  const downstream = await MosquittoBroker.start();
  const upstream = await MosquittoBroker.start();
  const rule = (name: string, prefix: string, callback: string | null) => ({
    name,
    source: { client: 'down', topic: `${prefix}/#` },
    target: { client: 'up', topic: `${prefix}/#` },
    callback,
  });
  const forwarder = ForwarderProcess.spawn(
    {
      log_level: 'info',
      stats_interval_ms: 0,
      clients: [
        { name: 'down', ip: '127.0.0.1', port: downstream.port, client_id: 'bench-fwd-down' },
        { name: 'up', ip: '127.0.0.1', port: upstream.port, client_id: 'bench-fwd-up' },
      ],
      rules: [rule('passthrough', 'pt', null), rule('eventcall', 'ev', 'EventCall')],
    },
    { nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] },
  );
  await forwarder.waitForReady();
  const results: Record<string, unknown> = {};

  console.log(`QoS 0 throughput, ${QOS0_COUNT} messages, publisher as fast as the broker takes them:`);
  const direct = await saturate('direct (one broker)', downstream.port, downstream.port, 'pt', null);
  const passthrough = await saturate('forwarder pass-through', downstream.port, upstream.port, 'pt', forwarder.pid);
  const eventcall = await saturate('forwarder EventCall', downstream.port, upstream.port, 'ev', forwarder.pid);
  results.qos0 = { direct, passthrough, eventcall };

  console.log(`QoS 1 end to end, ${QOS1_COUNT} messages, ${QOS1_WINDOW} in flight:`);
  const qos1Direct = await runLoad({
    pubPort: downstream.port,
    subPort: downstream.port,
    prefix: 'pt',
    qos: 1,
    count: QOS1_COUNT,
    rate: null,
    window: QOS1_WINDOW,
  });
  console.log(`  direct (one broker): ${qos1Direct.rate}/s, lost ${qos1Direct.lost}`);
  const qos1 = await withCpu(forwarder.pid, () =>
    runLoad({
      pubPort: downstream.port,
      subPort: upstream.port,
      prefix: 'pt',
      qos: 1,
      count: QOS1_COUNT,
      rate: null,
      window: QOS1_WINDOW,
    }),
  );
  console.log(
    `  forwarder pass-through: ${qos1.rate}/s, lost ${qos1.lost} of ${qos1.sent}, duplicates ${qos1.duplicates}${capacity(qos1)}`,
  );
  results.qos1 = { direct: qos1Direct, forwarded: qos1 };

  console.log(`Latency at ${LATENCY_RATE}/s, QoS 0:`);
  const histogram = () =>
    hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const directLatency = histogram();
  const forwardedLatency = histogram();
  const count = LATENCY_RATE * LATENCY_SECONDS;
  await runLoad({
    pubPort: downstream.port,
    subPort: downstream.port,
    prefix: 'pt',
    qos: 0,
    count,
    rate: LATENCY_RATE,
    latency: directLatency,
  });
  await runLoad({
    pubPort: downstream.port,
    subPort: upstream.port,
    prefix: 'pt',
    qos: 0,
    count,
    rate: LATENCY_RATE,
    latency: forwardedLatency,
  });
  const d = percentiles(directLatency);
  const f = percentiles(forwardedLatency);
  const added = {
    p50Ms: Math.round((f.p50Ms - d.p50Ms) * 1000) / 1000,
    p99Ms: Math.round((f.p99Ms - d.p99Ms) * 1000) / 1000,
  };
  console.log(
    `  direct p50 ${d.p50Ms} ms p99 ${d.p99Ms} ms; forwarded p50 ${f.p50Ms} ms p99 ${f.p99Ms} ms; added p50 ${added.p50Ms} ms p99 ${added.p99Ms} ms`,
  );
  results.latency = { direct: d, forwarded: f, added };

  console.log(`Forwarder RSS, upstream down ${OUTAGE_SECONDS} s under ${OUTAGE_RATE}/s:`);
  for (const qos of [0, 1] as const) {
    const rss = await measureOutage(forwarder, upstream, downstream.port, qos);
    console.log(`  QoS ${qos}: before ${rss.baselineMb} MB, peak ${rss.peakMb} MB, after recovery ${rss.afterMb} MB`);
    results[`outageQos${qos}`] = rss;
  }
  const stats = await forwarder.freshStats();
  results.forwarderStats = stats;
  console.log(
    `forwarder counters: ${JSON.stringify({ received: stats.received, forwarded: stats.forwarded, dropped: stats.dropped, queued: stats.queued, inflight_target: stats.inflight_target })}`,
  );
  if (process.env.BENCH_DUMP_FORWARDER_LOG)
    console.log(forwarder.rawStderr.filter((l) => !l.includes('"stats"')).join('\n'));
  const exitCode = await forwarder.stop();
  console.log(`forwarder exit code after SIGTERM: ${exitCode}`);
  console.log(`\nRESULT ${JSON.stringify(results)}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => void stopAllProcesses());
