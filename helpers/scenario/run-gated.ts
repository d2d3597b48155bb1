import { expect, type TestContext } from 'vitest';
import type { GateFile } from '../gates/gate-file.js';
import { describeBrokenGates, evaluateGates } from '../gates/evaluate.js';
import { runLoad } from '../load/run-load.js';
import type { LoadResult, RunLoadOptions } from '../load/types.js';
import type { ResultSubject, SuiteName, TestbenchResult } from '../report/result.js';
import { shortRunId, uniqueName } from '../runtime/run-context.js';
import { recordResult } from '../vitest/record-result.js';
import type { ScenarioCase } from './profile.js';
import { gateFigures, loadToResult } from './to-result.js';

export interface GatedRun {
  suite: SuiteName;
  subject: ResultSubject;
  /** Human label used in failure messages, e.g. `heavy QoS 1 pass via reference`. */
  label: string;
  scenario: ScenarioCase;
  publishUrl: string;
  subscribeUrl: string;
  topicFor: (publisherIndex: number) => string;
  subscribeFilter: string;
  gates: GateFile;
  expectations?: string[];
  /** Extra mqtt.js options for every client (see RunLoadOptions.connectOptions). */
  connectOptions?: RunLoadOptions['connectOptions'];
  /** Adds scenario-specific figures to the result before it is attached (observations, notes). */
  decorate?: (result: TestbenchResult, load: LoadResult) => void;
}

/**
 * Runs one scenario with the load engine, attaches its result (with gate outcomes) to the test,
 * and fails the test when a gate is broken, a message was corrupted, or the run itself reported
 * errors — with a message that names the scenario, the figure, the limit and the measured value.
 */
export async function runGatedScenario(
  context: TestContext,
  run: GatedRun,
): Promise<{ load: LoadResult; result: TestbenchResult }> {
  const load = await runLoad({
    publishUrl: run.publishUrl,
    subscribeUrl: run.subscribeUrl,
    workload: run.scenario.workload,
    topicFor: run.topicFor,
    subscribeFilter: run.subscribeFilter,
    clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('ld')}`,
    progressLabel: run.label,
    signal: context.signal,
    ...(run.connectOptions ? { connectOptions: run.connectOptions } : {}),
  });
  const result = loadToResult(load, run.suite, run.scenario.scenario, run.subject);
  result.variant = run.scenario.variant ?? run.scenario.route;
  result.gates = evaluateGates(run.gates, run.suite, run.scenario.scenario, run.scenario.qos, gateFigures(load));
  if (run.expectations) result.expectations = run.expectations;
  run.decorate?.(result, load);
  if (load.diagnostics.harnessSaturated) {
    const skipped = load.diagnostics.limitedBy === 'harness' ? 'latency and throughput gates' : 'latency gates';
    (result.notes ??= []).push(
      `Harness saturated (${load.diagnostics.saturationReasons.join('; ')}): ${skipped} not evaluated.`,
    );
  }
  await recordResult(context, result);

  const c = load.counters;
  const failures = [
    describeBrokenGates(run.label, result.gates),
    c.corrupted > 0
      ? `${run.label}: ${c.corrupted} message(s) failed the integrity check, e.g. ${load.corruptedSamples.slice(0, 2).join(' | ')}`
      : '',
    c.foreign > 0
      ? `${run.label}: ${c.foreign} message(s) on this scenario's topics had no intact identity header (damaged beyond recognition)`
      : '',
    c.unexpected > 0
      ? `${run.label}: ${c.unexpected} message(s) carried a publisher or sequence this run never sent`
      : '',
    load.errors.length > 0
      ? `${run.label}: the run reported errors: ${load.errors.map((e) => `${e.source} ${e.clientId}: ${e.message} (x${e.count})`).join('; ')}`
      : '',
  ].filter((line) => line !== '');
  if (failures.length > 0) {
    if (c.lost > 0) {
      const firstMissing = load.lostSamples
        .slice(0, 2)
        .map((s) => `${s.publisherId} seq ${s.seqs.join(',')}`)
        .join('; ');
      failures.push(
        `${run.label}: lost ${c.lost} of ${c.expected} (first missing: ${firstMissing}); the drain ended "${load.drain.outcome}" after ${load.drain.waitedMs} ms`,
      );
    }
    expect.fail(failures.join('\n'));
  }
  return { load, result };
}
