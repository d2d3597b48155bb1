/**
 * `report figures`: the key figures of a report as Markdown and as JSON, the JSON rendered again
 * to the same Markdown, a document's generated section updated, and bad input exiting 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { collected, loadResult, MOSQUITTO, syntheticReport } from '../report/testing/synthetic.js';
import { runCli } from './cli.js';
import { sectionStart, SECTION_END } from './figures-section.js';
import { extractKeyFigures, renderKeyFigures } from './key-figures.js';

let cwd: string;
let out: string[];
let err: string[];

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env: {} });
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-figures-'));
  out = [];
  err = [];
  writeFileSync(join(cwd, 'report.json'), JSON.stringify(syntheticReport()));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('the figures of a report', () => {
  test('one row per measured scenario (no QoS-matrix cell, no observation-only result), with its own figures', () => {
    const report = syntheticReport();
    const figures = extractKeyFigures(report);
    const measured = report.results.filter((r) => r.counters && !r.qosCell && (r.latency || r.throughput));
    expect(figures.scenarios).toHaveLength(measured.length);
    expect(report.results.length).toBeGreaterThan(measured.length);
    const heavy = figures.scenarios.find(
      (s) => s.scenario === 'heavy · pass' && s.subject.includes('via reference') && s.qos === 1,
    );
    const source = report.results.find(
      (r) =>
        r.scenario === 'heavy' && r.qos === 1 && r.subject.kind === 'topology' && r.subject.forwarder === 'reference',
    );
    expect(heavy).toMatchObject({
      attempted: source?.counters?.attempted,
      receivePerSec: source?.throughput?.receivePerSec,
      p50Us: source?.latency?.p50,
      p99Us: source?.latency?.p99,
      lossRate: 0,
      verdict: 'pass',
    });
    expect(figures.run).toMatchObject({ id: report.run.id, profile: 'ci', command: 'vitest run' });
    expect(figures.brokers).toEqual(report.environment.fingerprint.targetVersions);
  });

  test('the Markdown names the run, its date, the command and the machine, then the table', () => {
    const markdown = renderKeyFigures(extractKeyFigures(syntheticReport()));
    expect(markdown).toMatch(/^### Run `20261122-120000-000001`: profile ci, 2026-11-22 12:00 UTC$/m);
    expect(markdown).toMatch(
      /^- \*\*Command\*\*: `vitest run` \(3 min 25 s; \d+ passed, 0 failed, 1 skipped of \d+ tests; verdict pass\)$/m,
    );
    expect(markdown).toMatch(/^- \*\*Machine\*\*: 2 CPUs \(Synthetic CPU\)/m);
    expect(markdown).toMatch(
      /^\| forwarding-loss \| heavy · pass \| mosquitto>mosquitto via reference \(container\) \| 1 \| /m,
    );
  });

  test('a publish-only scenario shows no delivery figures instead of zeros; CPU shares come from the diagnostics', () => {
    const publishOnly = loadResult({ subject: MOSQUITTO, scenario: 'mqtt-bench', variant: 'publish-only' });
    publishOnly.suite = 'load';
    Object.assign(publishOnly.counters ?? {}, { expected: 0, received: 0, lost: 0 });
    delete publishOnly.latency;
    publishOnly.diagnostics = {
      harnessSaturated: false,
      reasons: [],
      cpu: { windowMs: 10_000, machineCores: 2, machineBusyCores: 1.9, harnessCores: 0.9, systemUnderTestCores: 0.6 },
    };
    const figures = extractKeyFigures(syntheticReport({ tests: [collected([publishOnly])] }));
    expect(figures.scenarios).toEqual([
      expect.objectContaining({ lossRate: null, receivePerSec: null, p50Us: null, publishPerSec: 200 }),
    ]);
    const cpu = figures.scenarios[0]?.cpu;
    expect(cpu).toMatchObject({ harnessCores: 0.9, systemUnderTestCores: 0.6 });
    expect(cpu?.otherCores).toBeCloseTo(0.4, 6);
    expect(renderKeyFigures(figures)).toContain(
      '| load | mqtt-bench · publish-only | mosquitto (container) | 1 | – | 200 | – | – | 2,000 | – | – | 0.90 / 0.60 / 0.40 | pass |',
    );
  });

  test('--suite keeps the scenarios of the suites named', () => {
    const direct = loadResult({ subject: MOSQUITTO, scenario: 'throughput-1kb' });
    direct.suite = 'load';
    const report = syntheticReport({ tests: [collected([direct]), collected([loadResult()])] });
    const figures = extractKeyFigures(report, ['load']);
    expect(figures.scenarios.map((s) => s.suite)).toEqual(['load']);
    expect(figures.suites).toEqual(['load']);
  });
});

describe('mqtt-testbench report figures', () => {
  test('prints Markdown; --json writes the figures, which render to the same Markdown', async () => {
    expect(await cli('report', 'figures', 'report.json')).toBe(0);
    const fromReport = out.join('\n');
    expect(fromReport).toMatch(/^### Run `20261122-120000-000001`/);
    expect(await cli('report', 'figures', 'report.json', '--json', '-o', 'figures/x.json')).toBe(0);
    expect(out.at(-1)).toMatch(/^Wrote figures\/x\.json: \d+ scenarios of run 20261122-120000-000001\.$/);
    const json = JSON.parse(readFileSync(join(cwd, 'figures/x.json'), 'utf8')) as { kind: string };
    expect(json.kind).toBe('mqtt-testbench figures');
    out = [];
    expect(await cli('report', 'figures', 'figures/x.json')).toBe(0);
    expect(out.join('\n')).toBe(fromReport);
  });

  test('--update rewrites the section generated from that file and leaves the rest of the document', async () => {
    expect(await cli('report', 'figures', 'report.json', '--json', '-o', 'docs/figures/x.json')).toBe(0);
    const doc = [
      '# Benchmarks',
      '',
      'Prose.',
      '',
      sectionStart('figures/x.json'),
      'stale',
      SECTION_END,
      '',
      'After.',
      '',
    ];
    writeFileSync(join(cwd, 'docs/benchmarks.md'), doc.join('\n'));
    expect(await cli('report', 'figures', 'docs/figures/x.json', '--update', 'docs/benchmarks.md')).toBe(0);
    const updated = readFileSync(join(cwd, 'docs/benchmarks.md'), 'utf8');
    expect(updated).not.toContain('stale');
    expect(updated.startsWith('# Benchmarks\n\nProse.\n\n<!-- figures: figures/x.json ')).toBe(true);
    expect(updated.endsWith(`${SECTION_END}\n\nAfter.\n`)).toBe(true);
    expect(updated).toContain(renderKeyFigures(extractKeyFigures(syntheticReport())));
  });

  test.each([
    [['report', 'figures'], /report figures needs a report\.json or a figures file/],
    [['report', 'figures', 'missing.json'], /missing\.json does not exist/],
    [
      ['report', 'figures', 'report.json', '--suite', 'forwarding-los'],
      /--suite forwarding-los: report\.json has no measured scenario of that suite; did you mean "forwarding-loss"\?/,
    ],
    [
      ['report', 'figures', 'report.json', '--update', 'doc.md'],
      /--update renders a figures file, and report\.json is a report/,
    ],
    [
      ['report', 'figures', 'report.json', '--update', 'doc.md', '--json'],
      /--update writes into doc\.md: it goes without --out and --json/,
    ],
  ])('%j exits 2: %s', async (argv, message) => {
    expect(await cli(...argv)).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  test('a figures file with a bad field, --suite on a figures file, or a document without its section exit 2', async () => {
    expect(await cli('report', 'figures', 'report.json', '--json', '-o', 'x.json')).toBe(0);
    expect(await cli('report', 'figures', 'x.json', '--suite', 'load')).toBe(2);
    expect(err.at(-1)).toMatch(/--suite chooses from a report; x\.json is a figures file already/);
    writeFileSync(join(cwd, 'doc.md'), '# Nothing generated here\n');
    expect(await cli('report', 'figures', 'x.json', '--update', 'doc.md')).toBe(2);
    expect(err.at(-1)).toMatch(/doc\.md has no section generated from x\.json: put the lines "<!-- figures: x\.json /);
    const figures = JSON.parse(readFileSync(join(cwd, 'x.json'), 'utf8')) as { run: Record<string, unknown> };
    figures.run['durationMs'] = 'long';
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify(figures));
    expect(await cli('report', 'figures', 'bad.json')).toBe(2);
    expect(err.at(-1)).toMatch(/bad\.json is not a figures file this version reads \(run\.durationMs: /);
  });
});
