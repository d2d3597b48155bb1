/**
 * Manual performance check of the load engine against a local mosquitto
 * (not a gate; skipped unless MQTT_TESTBENCH_MEASURE=1):
 *
 *   MQTT_TESTBENCH_MEASURE=1 npx vitest run helpers/load/measure.test.ts
 *
 * 1 publisher → 1 subscriber, 1 KB payloads: unlimited rate at QoS 0/1/2, then
 * latency at a steady 10,000 msg/s QoS 0. Prints one line per scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './run-load.js';
import { startLocalMosquitto, type LocalMosquitto } from './testing/local-mosquitto.js';
import type { LoadResult, WorkloadInput } from './types.js';

const ENABLED = process.env.MQTT_TESTBENCH_MEASURE === '1';

let mosquitto: LocalMosquitto | undefined;
let url = '';

function summary(result: LoadResult): string {
  const { counters, throughput, latency, diagnostics } = result;
  const e2e = latency.endToEnd;
  const fromIntended = latency.endToEndFromIntended;
  return [
    `${result.workload.name.padEnd(22)}`,
    `confirmed ${Math.round(throughput.confirmedPerSecond)} msg/s`,
    `received ${Math.round(throughput.receivedPerSecond)} msg/s`,
    `e2e p50 ${(e2e.p50 / 1000).toFixed(3)} ms p99 ${(e2e.p99 / 1000).toFixed(3)} ms max ${(e2e.max / 1000).toFixed(1)} ms`,
    fromIntended ? `from-intended p99 ${(fromIntended.p99 / 1000).toFixed(3)} ms` : '',
    `lost ${counters.lost} dup ${counters.duplicates}`,
    `elu ${diagnostics.eventLoopUtilization} lag p99 ${diagnostics.eventLoopLagP99Ms} ms`,
    diagnostics.harnessSaturated ? `SATURATED: ${diagnostics.saturationReasons.join('; ')}` : 'not saturated',
  ]
    .filter(Boolean)
    .join(' | ');
}

async function measure(workload: WorkloadInput): Promise<LoadResult> {
  const result = await runLoad({
    publishUrl: url,
    subscribeUrl: url,
    workload,
    topicFor: (i) => `measure/${workload.name}/${i}`,
    subscribeFilter: `measure/${workload.name}/#`,
    clientIdPrefix: `measure-${workload.name}`,
  });
  console.log(summary(result));
  return result;
}

const ONE_KB = { kind: 'fixed', bytes: 1024 } as const;

describe.runIf(ENABLED)('load engine throughput and latency against local mosquitto', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    mosquitto = await startLocalMosquitto();
    url = mosquitto.url;
  }, 15_000);
  afterAll(async () => {
    await mosquitto?.stop();
  });

  for (const [qos, messages] of [
    [0, 300_000],
    [1, 150_000],
    [2, 80_000],
  ] as const) {
    it(`QoS ${qos}, unlimited rate`, async () => {
      const result = await measure({
        name: `unlimited-qos${qos}`,
        publishers: 1,
        subscribers: 1,
        qos,
        payload: ONE_KB,
        messages,
        warmupMessages: 5_000,
        inflight: 1_000,
      });
      expect(result.counters.lost).toBe(0);
    });
  }

  it('QoS 0 latency at a steady 10,000 msg/s', async () => {
    const result = await measure({
      name: 'steady-10k-qos0',
      publishers: 1,
      subscribers: 1,
      qos: 0,
      payload: ONE_KB,
      durationMs: 11_000,
      ratePerSecond: 10_000,
      // The first second runs cold (JIT, first GCs, TCP windows): measure the 10 s after it.
      warmupMessages: 10_000,
    });
    expect(result.counters.lost).toBe(0);
  });
});
