import type { RunPlan } from '../testbed/run-plan.js';

/** The plan as printed once at the start of a run. */
export function formatPlan(plan: RunPlan): string {
  const lines = [
    `mqtt-testbench run ${plan.runId} · profile ${plan.profile}${plan.strict ? ' · strict' : ''}`,
    `  runtime: ${plan.runtime.kind} — ${plan.runtime.reason}`,
    '  targets:',
    ...plan.targets.map(
      (t) =>
        `    ${t.status === 'ready' ? '✓' : '–'} ${t.name} (${t.runtime})${t.status === 'ready' ? (t.detail ? `: ${t.detail}` : '') : ` skipped: ${t.reason}`}`,
    ),
    `  forwarders:${plan.forwarders.length === 0 ? ' none (MQTT_TESTBENCH_FORWARDER=none)' : ''}`,
    ...plan.forwarders.map(
      (f) =>
        `    ${f.status === 'ready' ? '✓' : '–'} ${f.name}${f.status === 'skipped' ? ` skipped: ${f.reason}` : ''}`,
    ),
    `  topologies:${plan.topologies.length === 0 ? ' none' : ''}`,
    ...plan.topologies.map(
      (t) => `    ${t.status === 'ready' ? '✓' : '–'} ${t.id}${t.status === 'skipped' ? ` skipped: ${t.reason}` : ''}`,
    ),
  ];
  return lines.join('\n');
}
