import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { describeBrokenGates, evaluateGates } from './evaluate.js';
import { loadGates, readGateFile } from './gate-file.js';
import { fileTempDir } from '../vitest/testing/file-temp-dir.js';

const dir = fileTempDir('mtb-gates-');
let fileCounter = 0;

function writeTemp(content: string): string {
  const path = join(dir(), `gates-${++fileCounter}.json`);
  writeFileSync(path, content);
  return path;
}

describe('gates', () => {
  const { gates } = loadGates(undefined);

  test('the default file: no loss at QoS 1 and 2, at most 0.1 % at QoS 0', () => {
    const lossy = evaluateGates(gates, 'forwarding-loss', 'medium', 1, { lossRate: 1 / 2000 });
    expect(lossy.find((o) => o.figure === 'lossRate')).toMatchObject({
      passed: false,
      limit: 0,
      source: 'forwarding-loss.defaults',
    });
    expect(evaluateGates(gates, 'forwarding-loss', 'medium', 0, { lossRate: 1 / 2000 }).every((o) => o.passed)).toBe(
      true,
    );
    expect(evaluateGates(gates, 'forwarding-loss', 'medium', 0, { lossRate: 0.002 }).some((o) => !o.passed)).toBe(true);
  });

  test('scenario limits override the defaults and name their source', () => {
    const outcome = evaluateGates(gates, 'forwarding-loss', 'rate-500', 1, { p99Ms: 210 }).find(
      (o) => o.figure === 'p99Ms',
    );
    expect(outcome).toMatchObject({ limit: 200, passed: false, source: 'forwarding-loss.scenarios.rate-500' });
  });

  test('a broken gate is described with scenario, figure, limit and measured value', () => {
    const outcomes = evaluateGates(gates, 'forwarding-loss', 'heavy', 2, { lossRate: 0.01, receivePerSec: 100 });
    expect(describeBrokenGates('heavy QoS 2 via reference', outcomes)).toBe(
      [
        'heavy QoS 2 via reference: max loss rate broken: lossRate = 1.00 %, limit <= 0.00 % (forwarding-loss.defaults)',
        'heavy QoS 2 via reference: min throughput broken: receivePerSec = 100 msg/s, limit >= 400 msg/s (forwarding-loss.defaults)',
      ].join('\n'),
    );
  });

  test('an override file is laid over the defaults', () => {
    const path = writeTemp(
      JSON.stringify({
        'forwarding-loss': { defaults: { maxP99Ms: 10 }, scenarios: { heavy: { minReceivePerSec: 20000 } } },
      }),
    );
    const merged = loadGates(path).gates;
    expect(
      evaluateGates(merged, 'forwarding-loss', 'heavy', 1, { p99Ms: 11, receivePerSec: 15000, lossRate: 0 })
        .filter((o) => !o.passed)
        .map((o) => o.figure),
    ).toEqual(['p99Ms', 'receivePerSec']);
  });

  test('an override file names only what it changes: scenarios without defaults', () => {
    const { gates: merged } = loadGates(writeTemp('{"forwarding-loss": {"scenarios": {"rate-500": {"maxP99Ms": 1}}}}'));
    const p99 = evaluateGates(merged, 'forwarding-loss', 'rate-500', 1, { p99Ms: 2, lossRate: 0.5 });
    expect(p99.filter((o) => !o.passed).map((o) => `${o.figure} ${o.limit}`)).toEqual(['lossRate 0', 'p99Ms 1']);
  });

  test('bad gate files are refused with the field and the fix', () => {
    expect(() => readGateFile(writeTemp('{"forwarding-loss": {"defaults": {"maxLoss": 1}}}'), 'test')).toThrow(
      /Unrecognized key.*maxLoss.*allowed: maxLossRate/s,
    );
    expect(() => readGateFile(writeTemp('{"forwarding-loss": {"defaults": {"maxP99Ms": -1}}}'), 'test')).toThrow(
      ConfigError,
    );
    expect(() => readGateFile(writeTemp('{"forwarding-loss": {'), 'test')).toThrow(/invalid JSON at line 1, column 22/);
  });
});
