import { describe, expect, test } from 'vitest';
import { compareWithBaseline } from './baseline.js';
import { renderConsoleSummary } from './console-summary.js';
import { renderMarkdown } from './markdown.js';
import { qosGrids } from './qos-grid.js';
import { collected, loadResult, MOSQUITTO, qosMatrix, syntheticReport, topology } from './testing/synthetic.js';

describe('report.md', () => {
  const report = syntheticReport({ lost: 3 });
  const md = renderMarkdown(report);

  test('opens with the verdict, the run and the runtime with its reason', () => {
    expect(md.split('\n')[0]).toBe('# mqtt-testbench report: ✅ PASS');
    expect(md).toContain('- **Runtime**: container: Docker answered (20.10.24)');
    expect(md).toContain('profile **ci**');
  });

  test('lists skipped targets with their reason, and skipped tests grouped by reason', () => {
    expect(md).toContain(
      '| emqx | container | ⏭️ skipped | – | image emqx/emqx:5.8.8 is not present locally and cannot be pulled here |',
    );
    expect(md).toContain('## Skipped tests');
    expect(md).toContain(
      '- emqx skipped: image emqx/emqx:5.8.8 is not present locally and cannot be pulled here: smoke > emqx (container) delivers',
    );
  });

  test('has a loss table with every counter, loss %, rate and latency percentiles in ms', () => {
    expect(md).toContain(
      '| scenario | subject | QoS | attempted | received | lost | dup | reordered | corrupted | loss % | msg/s | p50 | p90 | p99 | p99.9 | max | verdict |',
    );
    const row = md
      .split('\n')
      .find((line) => line.startsWith('| heavy · pass | mosquitto>mosquitto via reference (container) | 1 |'));
    expect(row).toMatch(
      /\| 10,000 \| 9,997 \| 3 \| 0 \| 0 \| 0 \| 0\.03 % \| 1,000 \| \d\.\d\d \| \d\.\d\d \| \d\.\d\d \| [\d.]+ \| [\d.]+ \| ✅ \|$/,
    );
  });

  test('draws each QoS grid as a 3×3 table of observed QoS with ✓ / ✗', () => {
    expect(md).toContain('### mosquitto (container) · direct · MQTT 3.1.1');
    expect(md).toContain('| **1** | 0 ✓ | 1 ✓ | 1 ✓ |');
  });

  test('names broken gates with measured value, limit and source', () => {
    const failing = syntheticReport({
      tests: [
        collected([loadResult({ subject: MOSQUITTO, sent: 1000, lost: 20 })], 'failed', {
          error: 'max loss rate broken',
        }),
      ],
    });
    const text = renderMarkdown(failing);
    expect(text).toContain('# mqtt-testbench report: ❌ FAIL');
    expect(text).toContain(
      '| medium | mosquitto (container) | 1 | ❌ max loss rate | 2 % | <= 0.1 % | forwarding-loss.defaults |',
    );
    expect(text).toContain('## Failures');
  });

  test('shows the baseline comparison with deltas and spread', () => {
    const current = syntheticReport({ seed: 2, latencyFactor: 2 });
    current.baseline = compareWithBaseline(current, report, { force: false, baselineFile: 'base.json' });
    const text = renderMarkdown(current);
    expect(text).toContain('## Baseline comparison ❌');
    expect(text).toMatch(
      /\| forwarding-loss heavy · pass \| mosquitto>mosquitto via reference \(container\) \| 1 \| [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ %, limit [\d.]+ ms\) ❌ \|/,
    );
  });
});

describe('QoS grids', () => {
  test('a wrong observed QoS is a ✗ cell with the expected value', () => {
    const results = qosMatrix(topology('reference'), 'forwarded', 4, ['2,2']);
    const report = syntheticReport({ tests: [collected(results, 'failed')] });
    const [grid] = qosGrids(report.results);
    expect(grid?.cells[2][2]).toMatchObject({ expected: 2, observed: [1], ok: false });
    expect(renderMarkdown(report)).toContain('| **2** | 0 ✗ (test failed) | 1 ✗ (test failed) | 1 ✗ (expected 2) |');
  });

  test('a grant below the request is footnoted as the documented choice, a declared deviation with its consequence', () => {
    const results = qosMatrix(MOSQUITTO, 'direct', 4);
    const choice = {
      kind: 'documented-choice' as const,
      text: 'rabbitmq grants QoS 1 for a QoS 2 subscription',
      source: 'https://example.org/max-qos',
    };
    for (const r of results) {
      const cell = r.qosCell;
      if (!cell || cell.subscribeQos !== 2) continue;
      cell.grantedQos = 1;
      cell.annotations = [choice];
      if (cell.publishQos === 2)
        cell.annotations.push({
          kind: 'declared-deviation',
          text: 'no QoS 2 PUBLISH. Consequence: this cell is skipped.',
          source: 'https://example.org/qos2',
        });
    }
    const text = renderMarkdown(syntheticReport({ tests: [collected(results)] }));
    expect(text).toContain('| **1** | 0 ✓ | 1 ✓ | 1 ✓ (granted 1)¹ |');
    expect(text).toContain('| **2** | 0 ✓ | 1 ✓ | 2 ✓ (granted 1)¹² |');
    expect(text).toContain(
      '¹ pub 0, 1, 2 / sub 2: documented choice: rabbitmq grants QoS 1 for a QoS 2 subscription ([source](https://example.org/max-qos))',
    );
    expect(text).toContain(
      '² pub 2 / sub 2: declared deviation: no QoS 2 PUBLISH. Consequence: this cell is skipped. ([source](https://example.org/qos2))',
    );
  });
});

describe('console summary', () => {
  test('one row per scenario with verdict and key figures, QoS grids folded, skipped targets and where the reports are', () => {
    const text = renderConsoleSummary(syntheticReport({ lost: 3 }), {
      reportFolder: 'reports/r1',
      latestFolder: 'reports/latest',
      width: 200,
    });
    expect(text).toContain(
      'mqtt-testbench ✓ PASS · run 20261122-120000-000001 · profile ci · runtime container · 21 passed, 0 failed, 1 skipped',
    );
    expect(text).toMatch(/qos-matrix\s+mosquitto\s+QoS grid direct MQTT 3\.1\.1\s+✓ pass\s+9\/9 cells as expected/);
    expect(text).toMatch(
      /forwarding-loss\s+mosquitto>mosquitto via reference\s+heavy · pass QoS 1\s+✓ pass\s+loss 0\.03 % \(3\/10000\) · p99 [\d.]+ ms · 1,000 msg\/s/,
    );
    expect(text).toContain(
      '  - target emqx (container): image emqx/emqx:5.8.8 is not present locally and cannot be pulled here',
    );
    expect(text).toContain(
      'reports: reports/r1/{report.json,report.md,report.html,junit.xml} (copied to reports/latest/)',
    );
  });

  test('a grid whose cells a declared deviation skipped passes and says how many were skipped', () => {
    const results = qosMatrix(MOSQUITTO, 'direct', 4);
    const tests = results.map((r) => collected([r], r.qosCell?.publishQos === 2 ? 'skipped' : 'passed'));
    const text = renderConsoleSummary(syntheticReport({ tests }), { width: 200 });
    expect(text).toMatch(
      /qos-matrix\s+mosquitto\s+QoS grid direct MQTT 3\.1\.1\s+✓ pass\s+6\/6 cells as expected, 3 skipped \(declared deviation\)/,
    );
  });

  test('failures come first and long tables are cut with a pointer to report.md', () => {
    const report = syntheticReport({
      tests: [
        ...Array.from({ length: 5 }, (_, i) => collected([loadResult({ scenario: `s${i}`, subject: MOSQUITTO })])),
        collected([loadResult({ scenario: 'zz', subject: MOSQUITTO, lost: 50 })], 'failed'),
      ],
    });
    const text = renderConsoleSummary(report, { maxRows: 3, width: 200 });
    const rows = text.split('\n').filter((l) => l.includes('forwarding-loss'));
    expect(rows[0]).toContain('✗ FAIL');
    expect(text).toContain('… and 3 more rows (see report.md)');
  });
});
