import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MIN_FIXED_PAYLOAD_BYTES } from './payload/index.js';
import { loadWorkloadFile, parseWorkload, WorkloadError, type WorkloadInput } from './workload.js';

const WORKLOADS_DIR = fileURLToPath(new URL('../../fixtures/workloads/', import.meta.url));

const VALID: WorkloadInput = {
  name: 'ok',
  publishers: 2,
  subscribers: 1,
  qos: 1,
  payload: { kind: 'telemetry' },
  messages: 100,
};

function errorOf(input: unknown): string {
  try {
    parseWorkload(input);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkloadError);
    return (error as Error).message;
  }
  throw new Error('expected the workload to be rejected');
}

describe('workload validation', () => {
  it('fills in the defaults', () => {
    expect(parseWorkload(VALID)).toEqual({
      ...VALID,
      payload: { kind: 'telemetry', minPoints: 10, maxPoints: 200 },
      subscriptionMode: 'all',
      subscribeQos: 1,
      ratePerSecond: 0,
      inflight: 1000,
      warmupMessages: 0,
      protocolVersion: 4,
      workers: 1,
      connectRatePerSecond: 0,
      connectConcurrency: 64,
      sendSchedule: 'timer',
      drainIdleMs: 3000,
      drainMaxMs: 60000,
      ackTimeoutMs: 5000,
      client: 'auto',
      seed: 1,
    });
    expect(parseWorkload({ ...VALID, subscribeQos: 0 }).subscribeQos).toBe(0);
  });

  it('names the field, the value and what is allowed', () => {
    expect(errorOf({ ...VALID, qos: 3 })).toMatch(/workload "ok" is invalid:\n {2}qos: got 3; allowed: 0, 1 or 2/);
    expect(errorOf({ ...VALID, inflight: 70_000 })).toMatch(/inflight: got 70000; allowed: an integer from 1 to 65535/);
    expect(errorOf({ ...VALID, publishers: 1.5 })).toMatch(/publishers: got 1.5; allowed: an integer from 1 to 10000/);
    expect(errorOf({ ...VALID, protocolVersion: 3 })).toMatch(
      /protocolVersion: got 3; allowed: 4 \(MQTT 3\.1\.1\) or 5/,
    );
    expect(errorOf({ ...VALID, ratePerSecond: -1 })).toMatch(
      /ratePerSecond: got -1; allowed: a number of messages per second ≥ 0/,
    );
    expect(errorOf({ ...VALID, name: 'has space' })).toMatch(/name: got "has space"; allowed: a name of letters/);
    expect(errorOf({ ...VALID, subscriptionMode: 'some' })).toMatch(
      /subscriptionMode: got "some"; allowed: "all" or "shared"/,
    );
    expect(errorOf({ ...VALID, workers: 0 })).toMatch(/workers: got 0; allowed: an integer from 1 to 64, or "auto"/);
    expect(errorOf({ ...VALID, client: 'paho' })).toMatch(/client: got "paho"; allowed: "auto", "lean" or "mqtt.js"/);
    expect(errorOf({ ...VALID, workers: 'many' })).toMatch(
      /workers: got "many"; allowed: an integer from 1 to 64, or "auto"/,
    );
    expect(errorOf({ ...VALID, connectRatePerSecond: -5 })).toMatch(
      /connectRatePerSecond: got -5; allowed: a number of connections per second ≥ 0/,
    );
    expect(errorOf({ ...VALID, sendSchedule: 'spin' })).toMatch(
      /sendSchedule: got "spin"; allowed: "timer" or "immediate"/,
    );
    expect(parseWorkload({ ...VALID, workers: 'auto' }).workers).toBe('auto');
  });

  it('checks payload shapes', () => {
    expect(errorOf({ ...VALID, payload: { kind: 'fixed', bytes: 10 } })).toContain(
      `payload.bytes: got 10; allowed: an integer from ${MIN_FIXED_PAYLOAD_BYTES} to`,
    );
    expect(errorOf({ ...VALID, payload: { kind: 'telemetry', minPoints: 50, maxPoints: 10 } })).toMatch(
      /payload.minPoints: got .*allowed: minPoints must be ≤ maxPoints/,
    );
    expect(errorOf({ ...VALID, payload: { kind: 'random' } })).toMatch(
      /payload.kind: got \{"kind":"random"\}; allowed: \{"kind":"telemetry".*\} or \{"kind":"fixed","bytes":1024\}/,
    );
  });

  it('wants exactly one of messages and durationMs, and a drain cap above the idle window', () => {
    expect(errorOf({ ...VALID, durationMs: 1000 })).toMatch(
      /messages: got .*exactly one of "messages" \(per publisher\) or "durationMs"/,
    );
    const { messages: _messages, ...noCount } = VALID;
    expect(errorOf(noCount)).toMatch(/exactly one of/);
    expect(errorOf({ ...VALID, drainIdleMs: 5000, drainMaxMs: 1000 })).toMatch(
      /drainMaxMs: got 1000; allowed: a value ≥ drainIdleMs \(5000\)/,
    );
  });

  it('rejects unknown fields and missing ones', () => {
    expect(errorOf({ ...VALID, messageSize: 1024 })).toMatch(/unknown field\(s\) "messageSize"/);
    const { qos: _qos, ...noQos } = VALID;
    expect(errorOf(noQos)).toMatch(/qos: got nothing; allowed: 0, 1 or 2/);
  });

  it('accepts every workload in fixtures/workloads', async () => {
    const files = (await readdir(WORKLOADS_DIR)).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const workload = await loadWorkloadFile(join(WORKLOADS_DIR, file));
      expect(`${workload.name}.json`).toBe(file);
    }
  });
});
