import type { RunContext } from '../runtime/run-context.js';
import type { RunPlan } from '../testbed/plan.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
    runContext: RunContext;
  }
}
