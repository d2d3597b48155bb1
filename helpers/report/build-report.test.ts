import { describe, expect, test } from 'vitest';
import { collected, loadResult, syntheticReport } from './testing/synthetic.js';

describe('the report verdict', () => {
  test('a run whose measured scenarios all carry gates has no ungated error', () => {
    const report = syntheticReport();
    expect(report.run.errors).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  test('a measured scenario without gates fails the run, named by its key', () => {
    const ungated = loadResult({ scenario: 'heavy', qos: 1 });
    delete ungated.gates;
    const report = syntheticReport({
      tests: [collected([loadResult({ scenario: 'light', qos: 1 })]), collected([ungated])],
    });
    expect(report.run.errors).toEqual([
      expect.stringMatching(/^forwarding-loss \| heavy \| .*: measured a message flow but carries no gate/),
    ]);
    expect(report.verdict).toBe('fail');
  });

  test('a timing gate that broke while the harness was saturated makes the result and the run inconclusive, not passed', () => {
    const result = loadResult({ scenario: 'rate-500', qos: 1 });
    result.gates?.push({
      name: 'max p99 latency',
      figure: 'p99Ms',
      comparison: '<=',
      limit: 50,
      measured: 185,
      unit: 'ms',
      passed: false,
      source: 'forwarding-loss.scenarios.rate-500',
      inconclusive: 'the machine was CPU-bound and other processes, not the system under test, took most of it',
    });
    const report = syntheticReport({ tests: [collected([result], 'skipped')] });
    expect(report.results[0]).toMatchObject({ verdict: 'inconclusive' });
    expect(report.results[0]?.verdictReason).toMatch(/max p99 latency broken while the harness was saturated/);
    expect(report.verdict).toBe('inconclusive');
  });

  test('a delivery gate that broke fails the result even when a timing gate is inconclusive', () => {
    const result = loadResult({ scenario: 'rate-500', qos: 1, lost: 5, lossLimit: 0 });
    result.gates?.push({
      name: 'max p99 latency',
      figure: 'p99Ms',
      comparison: '<=',
      limit: 50,
      measured: 185,
      unit: 'ms',
      passed: false,
      source: 'forwarding-loss.scenarios.rate-500',
      inconclusive: 'other processes took the CPU',
    });
    const report = syntheticReport({ tests: [collected([result], 'failed')] });
    expect(report.results[0]).toMatchObject({ verdict: 'fail', verdictReason: 'gate max loss rate broken' });
    expect(report.verdict).toBe('fail');
  });
});
