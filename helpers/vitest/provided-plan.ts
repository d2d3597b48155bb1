import { inject } from 'vitest';
import type { Settings } from '../model/index.js';
import { loadSettings } from '../config/settings.js';
import type { RunPlan } from '../testbed/run-plan.js';
import '../report/vitest-context.js';

/** The run plan decided by the global setup. */
export function runPlan(): RunPlan {
  return inject('plan');
}

let settings: Settings | undefined;

/** Settings as the global setup validated them (same environment in every worker). */
export function runSettings(): Settings {
  settings ??= loadSettings();
  return settings;
}
