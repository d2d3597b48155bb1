/**
 * report.html in a real headless Chromium (found on PATH or by MQTT_TESTBENCH_CHROMIUM, driven by
 * playwright-core; never a downloaded browser; skipped with the reason where there is none): the file loads with no console error and no network request, every chart
 * renders with data and paints pixels, and the tables are there without JavaScript.
 * MQTT_TESTBENCH_UPDATE_SCREENSHOT=<report.json> also refreshes helpers/report/assets/report-screenshot.png
 * (the picture in docs/reports.md) from that report: its first scenario with two subjects and per-second series
 * (the committed picture comes from a real container run).
 */
import { requireOnThisMachine } from '../vitest/skip.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareWithBaseline } from './baseline.js';
import { chartData, renderHtml } from './html.js';
import { readReport } from './read-report.js';
import { findChromium } from './testing/find-chromium.js';
import { collected, loadResult, MOSQUITTO, qosMatrix, syntheticReport, topology } from './testing/synthetic.js';

const CHROMIUM = findChromium();
const CHROMIUM_PATH = CHROMIUM.found ? CHROMIUM.path : '';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = fileURLToPath(new URL('./assets/report-screenshot.png', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCH_TIMEOUT_MS = 60_000;

/** What the checks read from the page (this project's TypeScript has no DOM library). */
interface PageGlobals {
  mtbCharts?: {
    id: string;
    kind: string;
    chart: { data: { datasets: { data: unknown[] }[] }; scales: { x: { ticks: { label: string }[] } } };
  }[];
  document: {
    querySelectorAll(selector: string): Iterable<{
      id: string;
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
      };
    }>;
  };
}

/** A report with everything the page can show: both forwarders and direct, a broken QoS cell, a saturated run, a baseline with a regression. */
function richReport() {
  const baseline = syntheticReport({ runId: '20261121-120000-aaaaaa' });
  const tests = [
    ...(['light', 'medium', 'heavy'] as const).flatMap((scenario, i) =>
      ([0, 1, 2] as const).flatMap((qos) => [
        collected([
          loadResult({
            scenario,
            qos,
            subject: topology('reference'),
            sent: [200, 2000, 10_000][i],
            medianUs: 2100 * (qos + 1),
            seed: i * 10 + qos,
            lost: scenario === 'heavy' && qos === 0 ? 7 : 0,
            lossLimit: 0.001,
            variant: 'pass',
            seconds: [4, 10, 20][i],
          }),
        ]),
        collected([
          loadResult({
            scenario,
            qos,
            subject: topology('mosquitto-bridge'),
            sent: [200, 2000, 10_000][i],
            medianUs: 900 * (qos + 1),
            seed: i * 10 + qos + 100,
            variant: 'pass',
            seconds: [4, 10, 20][i],
          }),
        ]),
        collected([
          loadResult({
            scenario: `${scenario}-direct`,
            qos,
            subject: MOSQUITTO,
            sent: [200, 2000, 10_000][i],
            medianUs: 400 * (qos + 1),
            seed: i * 10 + qos + 200,
            seconds: [4, 10, 20][i],
          }),
        ]),
      ]),
    ),
    collected(qosMatrix(MOSQUITTO, 'direct', 4)),
    collected(qosMatrix(MOSQUITTO, 'direct', 5)),
    collected(qosMatrix(topology('reference'), 'forwarded', 4)),
    collected(qosMatrix(topology('mosquitto-bridge'), 'forwarded', 5, ['2,2']), 'failed', {
      error: 'pub 2 sub 2: delivered QoS 1, expected 2 (QoS preserved, then min(., sub))',
    }),
    collected([
      {
        suite: 'retain',
        scenario: 'late subscriber gets retained',
        subject: MOSQUITTO,
        protocolVersion: 4,
        qos: 1,
        observations: { retainFlagOnLateSubscribe: true },
      },
    ]),
    collected(
      [],
      'skipped',
      { name: 'emqx (container) delivers' },
      'emqx skipped: image emqx/emqx:5.8.8 is not present locally and cannot be pulled here',
    ),
  ];
  const report = syntheticReport({ tests, runId: '20261122-120000-bbbbbb' });
  report.baseline = compareWithBaseline(report, baseline, {
    force: false,
    baselineFile: 'fixtures/baselines/container-2cpu-ci.json',
  });
  return report;
}

describe('report.html in Chromium', { timeout: 120_000 }, () => {
  let dir: string;
  let file: string;
  let context: BrowserContext;

  requireOnThisMachine(CHROMIUM.found ? undefined : CHROMIUM.reason);

  beforeAll(async () => {
    if (!CHROMIUM.found) return;
    dir = mkdtempSync(join(tmpdir(), 'mtb-html-'));
    file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(richReport()));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      viewport: { width: 1400, height: 1000 },
      timeout: LAUNCH_TIMEOUT_MS,
    });
    // Chromium's start takes 1-3 s on a quiet machine and much longer beside the suites' load
    // (the unit tests run alongside them): vitest's default 10 s hook budget failed it once.
  }, LAUNCH_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('loads with no console error and no network request, and every chart renders non-empty', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => Array.isArray((globalThis as unknown as PageGlobals).mtbCharts));

    const charts = await page.evaluate(() => {
      // Runs in the page: the DOM is reached through globalThis, typed just enough for this check.
      const page = globalThis as unknown as PageGlobals;
      return [...page.document.querySelectorAll('canvas[data-kind]')].map((canvas) => {
        const entry = page.mtbCharts?.find((c) => c.id === canvas.id);
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted += 1;
        return {
          id: canvas.id,
          kind: entry?.kind,
          datasets: entry?.chart.data.datasets.length ?? 0,
          points: entry?.chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0) ?? 0,
          painted,
          area: canvas.width * canvas.height,
        };
      });
    });
    expect(problems).toEqual([]);
    expect(charts.length).toBeGreaterThanOrEqual(9 * 2 + 6 * 2); // 9 scenarios × (percentile + throughput), 6 with two subjects × 2 comparison charts
    for (const chart of charts) {
      expect(chart.kind, chart.id).toBeDefined();
      expect(chart.datasets, chart.id).toBeGreaterThan(0);
      expect(chart.points, chart.id).toBeGreaterThan(0);
      expect(chart.painted / chart.area, `${chart.id} paints pixels`).toBeGreaterThan(0.01);
    }
    const kinds = new Set(charts.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['compare-latency', 'compare-throughput', 'percentile', 'throughput']);

    // The percentile axis is labelled the HdrHistogram way.
    const ticks = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).mtbCharts
        ?.find((c) => c.kind === 'percentile')
        ?.chart.scales.x.ticks.map((t) => t.label),
    );
    expect(ticks).toEqual(expect.arrayContaining(['90%', '99%', '99.9%']));

    await page.close();
  });

  // A maintenance task, registered only when asked for (not a test that could be skipped).
  if (process.env['MQTT_TESTBENCH_UPDATE_SCREENSHOT'])
    test('refreshes the report screenshot (docs/reports.md)', async () => {
      const source = resolve(ROOT, process.env['MQTT_TESTBENCH_UPDATE_SCREENSHOT'] ?? '');
      const report = readReport(source);
      const scenario = chartData(report).scenarios.find(
        (s) => s.subjects.length >= 2 && s.subjects.every((x) => x.periods.length > 0),
      );
      expect(scenario, `${source} has no scenario with two subjects and per-second series`).toBeDefined();
      const html = join(dir, 'screenshot.html');
      writeFileSync(html, renderHtml(report));
      const page = await context.newPage();
      await page.goto(`file://${html}`);
      await page.locator(`article#${scenario?.id ?? ''}`).screenshot({ path: SCREENSHOT });
      await page.close();
    });

  test('shows the tables without JavaScript: summary, targets with skip reasons, QoS grids, loss table, baseline', async () => {
    const noScript = await chromium.launchPersistentContext(join(dir, 'profile-no-js'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      javaScriptEnabled: false,
    });
    const page = await noScript.newPage();
    await page.goto(`file://${file}`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('image emqx/emqx:5.8.8 is not present locally and cannot be pulled here');
    expect(await page.locator('table.qos').count()).toBe(4);
    expect(await page.locator('table.qos td.bad').count()).toBeGreaterThan(0);
    expect(await page.locator('table.loss tbody tr').count()).toBe(27);
    expect(text).toMatch(/Baseline comparison/);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).mtbCharts)).toBeUndefined();
    await noScript.close();
  });
});
