import type { TestProject } from 'vitest/node';
import '../../../report/vitest-context.js';
import { syntheticPlan } from '../../../report/testing/synthetic.js';

export default function setup(project: TestProject): void {
  project.provide(
    'plan',
    syntheticPlan({
      runId: process.env['MQTT_TESTBENCH_RUN_ID'] ?? 'e2e-run',
      runtime: { kind: 'embedded', reason: 'fixture run' },
    }),
  );
}
