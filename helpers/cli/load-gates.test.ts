import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { CpuShares } from '../stats/cpu-shares.js';
import { runLoad } from '../load/run-load.js';
import { startAedes, type TestBroker } from '../load/testing/aedes-broker.js';
import type { LoadResult } from '../load/types.js';
import { runCli } from './cli.js';
import { exitCodeOf, judgeLoad, loadGatesFor } from './load-gates.js';
import type { LoadSummary } from './load-summary.js';

let cwd: string;
let out: string[];
let err: string[];
let broker: TestBroker;

async function cli(...argv: string[]): Promise<number> {
  return runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, env: {} });
}

function writeJson(name: string, value: unknown): string {
  writeFileSync(join(cwd, name), JSON.stringify(value));
  return name;
}

beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.close();
});
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'mtb-cli-load-gates-'));
  out = [];
  err = [];
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/**
 * A workload whose messages never reach the subscriber (it listens elsewhere): everything is lost,
 * while the broker acknowledges every publish. The drain ends after 1.5 s without progress: at
 * 0.3 s, a machine whose 2 cores other processes held let that pass before the in-process
 * broker's PUBACKs came (run 20261206-184750-e887f0: 100 never acknowledged).
 */
function nothingArrives(name: string): string[] {
  const file = writeJson(`${name}.json`, {
    name,
    publishers: 1,
    subscribers: 1,
    qos: 1,
    payload: { kind: 'fixed', bytes: 256 },
    messages: 100,
    drainIdleMs: 1_500,
  });
  return ['load', file, '-L', broker.url, '--subscribe-topic', 'elsewhere/#'];
}

describe('mqtt-testbench load as a gate', { timeout: 30_000 }, () => {
  test('a broken threshold exits 3, naming the gate, the figure, the limit and where it came from', async () => {
    const code = await cli(...nothingArrives('lossy'), '--max-loss', '0.01');
    expect(err).toEqual([]);
    expect(code).toBe(3);
    const text = out.join('\n');
    expect(text).toMatch(/100 never arrived within 1\.5 s/);
    expect(text).toMatch(/✗ max loss rate: lossRate = 100 %, limit <= 1\.00 % \(--max-loss\)/);
    expect(text).toMatch(
      /✓ max publishes never acknowledged: unconfirmed = 0 messages, limit <= 0 messages \(load\.defaults\)/,
    );
    expect(text).toMatch(/verdict {3}FAIL \(exit 3\)/);
  });

  test('any gate option also judges delivery with the load defaults; a clean run passes with exit 0', async () => {
    const code = await cli('load', '-L', broker.url, '-q', '1', '--messages', '200', '--min-rate', '1', '--json');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const summary = JSON.parse(out.join('\n')) as LoadSummary;
    expect(summary.verdict).toBe('pass');
    expect(summary.gates.map((g) => `${g.figure} ${g.comparison} ${g.limit} (${g.source}) ${g.passed}`).sort()).toEqual(
      [
        'corrupted <= 0 (load.defaults) true',
        'duplicateRate <= 0.01 (load.defaults) true',
        'lossRate <= 0 (load.defaults) true',
        'receivePerSec >= 1 (--min-rate) true',
        'reorderedRate <= 0 (load.defaults) true',
        'unconfirmed <= 0 (load.defaults) true',
      ],
    );
    expect(summary.gateSources).toEqual(['fixtures/gates/default.json (load.defaults)', '--min-rate']);
  });

  test('--gates FILE: the load section, its defaults, then the scenario named after the workload', async () => {
    const gates = writeJson('gates.json', {
      load: { defaults: { maxLossRate: 1 }, scenarios: { lossy: { maxLossRate: 0.5 } } },
    });
    expect(await cli(...nothingArrives('lossy'), '--gates', gates, '--json')).toBe(3);
    const lossy = JSON.parse(out.join('\n')) as LoadSummary;
    expect(lossy.gates.find((g) => g.figure === 'lossRate')).toMatchObject({
      limit: 0.5,
      measured: 1,
      passed: false,
      source: 'load.scenarios.lossy',
    });
    expect(lossy.verdictReason).toMatch(/load lossy QoS 1: max loss rate broken: lossRate = 100 %, limit <= 50\.0 %/);

    out = [];
    expect(await cli(...nothingArrives('other'), '--gates', gates, '--json')).toBe(0);
    const other = JSON.parse(out.join('\n')) as LoadSummary;
    expect(other.gates.find((g) => g.figure === 'lossRate')).toMatchObject({ limit: 1, source: 'load.defaults' });
  });

  test('bad gate options and gate files exit 2 before connecting, naming the option or field', async () => {
    const url = 'mqtt://127.0.0.1:1';
    const cases: [string[], RegExp][] = [
      [['--max-loss', '2'], /--max-loss 2: a ratio from 0 to 1/],
      [['--max-loss', 'none'], /--max-loss none: a ratio from 0 to 1/],
      [['--max-loss', '1'], /--max-loss 1 can never be broken/],
      [['--min-rate', '0'], /--min-rate 0 can never be broken/],
      [['--max-p99-ms', '-1'], /--max-p99-ms -1: milliseconds ≥ 0/],
      [['--max-p99-ms', '5', '--subscribers', '0'], /--max-p99-ms with --subscribers 0: nothing subscribes/],
      [['--gates', 'missing.json'], /--gates missing\.json: gate file .*missing\.json does not exist/],
      [
        ['--gates', writeJson('bad.json', { load: { defaults: { maxLoss: 0 } } })],
        /load\.defaults: Unrecognized key: "maxLoss" \(allowed: maxLossRate,/,
      ],
    ];
    for (const [options, message] of cases) {
      err = [];
      expect(await cli('load', '-L', url, ...options), options.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(message);
    }
  });
});

describe('the verdict of timing gates follows the CPU verdict', { timeout: 30_000 }, () => {
  let result: LoadResult;
  beforeAll(async () => {
    const loaded = await runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      workload: {
        name: 'steady',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        messages: 200,
      },
      topicFor: (i) => `mtb/verdict/p${i}`,
      subscribeFilter: 'mtb/verdict/#',
      clientIdPrefix: 'mtb-verdict',
    });
    // The harness's own diagnosis depends on the machine; the CPU shares below decide here.
    result = { ...loaded, diagnostics: { ...loaded.diagnostics, harnessSaturated: false, saturationReasons: [] } };
  });

  const cpu = (machineBusyCores: number): CpuShares => ({
    windowMs: 1000,
    machineCores: 2,
    machineBusyCores,
    harnessCores: 0.3,
    systemUnderTestCores: null,
    systemUnderTestUnknown: 'external broker: not visible from the harness',
  });
  const unreachableRate = { 'min-rate': '1000000000' };

  test("on a machine with idle cores a broken timing gate is the broker's: fail, exit 3", () => {
    const verdict = judgeLoad(result, gatesOf(unreachableRate), cpu(0.5));
    expect(verdict.kind).toBe('fail');
    expect(exitCodeOf(verdict)).toBe(3);
  });

  test('on a CPU-bound machine whose broker CPU is not visible it is inconclusive: exit 4, with the reason', () => {
    const verdict = judgeLoad(result, gatesOf(unreachableRate), cpu(1.95));
    expect(verdict).toMatchObject({ kind: 'inconclusive', reason: expect.stringMatching(/CPU-bound/) as string });
    expect(exitCodeOf(verdict)).toBe(4);
  });

  test('allowInconclusive in the gate file lets it pass, saying so', () => {
    const file = writeJson('allow.json', {
      load: { defaults: {}, scenarios: { steady: { allowInconclusive: true } } },
    });
    const verdict = judgeLoad(result, gatesOf({ ...unreachableRate, gates: file }), cpu(1.95));
    expect(verdict).toMatchObject({
      kind: 'pass',
      note: expect.stringMatching(/allowInconclusive in load\.scenarios\.steady/) as string,
    });
    expect(exitCodeOf(verdict)).toBe(0);
  });

  test('a broken delivery gate fails whatever the CPU did', () => {
    const lossy: LoadResult = {
      ...result,
      counters: {
        ...result.counters,
        lost: 5,
        received: result.counters.received - 5,
        lossRatio: 5 / result.counters.expected,
      },
    };
    const verdict = judgeLoad(lossy, gatesOf(unreachableRate), cpu(1.95));
    expect(verdict.kind).toBe('fail');
    if (verdict.kind !== 'fail') return;
    expect(verdict.broken).toMatch(/max loss rate broken/);
    expect(verdict.gates.find((g) => g.figure === 'receivePerSec')?.inconclusive).toMatch(/CPU-bound/);
  });

  function gatesOf(options: Parameters<typeof loadGatesFor>[0]) {
    const gates = loadGatesFor(options, result.workload, cwd);
    if (!gates) throw new Error('no gates for a gate option');
    return gates;
  }
});
