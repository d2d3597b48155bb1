import type { TestContext } from 'vitest';
import { lossRateOf, type TestbenchResult } from '../report/testbench-result.js';
import '../report/vitest-context.js';

/**
 * Attaches a result to the running test (for report.json) and its key figures as annotations
 * (vitest's JUnit reporter writes them as <property> elements). Call it before asserting, so a
 * failing test still reports what it measured.
 */
export async function recordResult(
  context: Pick<TestContext, 'task' | 'annotate'>,
  result: TestbenchResult,
): Promise<void> {
  (context.task.meta.testbench ??= []).push(result);
  // vitest refuses annotations on repeated runs of a test ("outside of the test run"); the first
  // run's figures are in the JUnit file, every run's are in report.json.
  if ((context.task.result?.repeatCount ?? 0) > 0) return;
  for (const [name, value] of keyFigures(result)) await context.annotate(value, name);
}

function keyFigures(result: TestbenchResult): [string, string][] {
  const figures: [string, string][] = [];
  const c = result.counters;
  if (c) {
    figures.push(
      ['attempted', String(c.attempted)],
      ['sent', String(c.sent)],
      ['received', String(c.received)],
      ['lost', String(c.lost)],
      ['lostUnacknowledged', String(c.lostUnacknowledged)],
      ['duplicates', String(c.duplicates)],
    );
    const lossRate = lossRateOf(c);
    if (lossRate !== undefined) figures.push(['lossRate', lossRate.toPrecision(3)]);
  }
  if (result.latency) figures.push(['p50Us', String(result.latency.p50)], ['p99Us', String(result.latency.p99)]);
  if (result.throughput) figures.push(['receivePerSec', result.throughput.receivePerSec.toFixed(0)]);
  for (const gate of result.gates ?? [])
    figures.push([
      `gate:${gate.name}`,
      `${gate.passed ? 'pass' : 'FAIL'} ${gate.measured} ${gate.comparison} ${gate.limit}`,
    ]);
  return figures;
}
