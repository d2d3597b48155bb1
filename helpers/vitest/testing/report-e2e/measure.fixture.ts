// Fixture tests for the reporter's end-to-end test: they attach results like the real suites do.
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'vitest';
import { recordResult } from '../../record-result.js';
import { createProgress } from '../../../load/progress.js';
import { AEDES, loadResult, qosMatrix } from '../../../report/testing/synthetic.js';

const factor = Number(process.env['FIXTURE_LATENCY_FACTOR'] ?? '1');
let run = 0;

// vitest 4.1 refuses annotate() in the repeats of a test ("Cannot annotate tests outside of the
// test run"), so the repeated runs attach their result to the task meta only, as recordResult does first.
test('medium QoS 1 direct', { repeats: 2 }, async (context) => {
  run += 1;
  const progress = createProgress();
  // FIXTURE_STEP_MS stretches the run to watch the live progress by hand.
  const stepMs = Number(process.env['FIXTURE_STEP_MS'] ?? '150');
  for (let i = 1; i <= 4; i += 1) {
    progress.update({
      label: 'medium QoS 1 direct',
      sent: i * 500,
      received: i * 490,
      elapsedMs: i * stepMs,
      totalExpected: 2000,
    });
    await sleep(stepMs);
  }
  progress.done();
  const result = loadResult({ scenario: 'medium-direct', subject: AEDES, qos: 1, medianUs: 1000 * factor, seed: run });
  if (run === 1) await recordResult(context, result);
  else (context.task.meta.testbench ??= []).push(result);
});

test('QoS grid direct MQTT 5', async (context) => {
  for (const result of qosMatrix(AEDES, 'direct', 5)) await recordResult(context, result);
});

test('emqx delivers', (context) => {
  context.skip('emqx skipped: image emqx/emqx:5.8.8 is not present locally');
});
