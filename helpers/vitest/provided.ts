import type { RunContext } from '../runtime/run-context.js';
import type { RunPlan } from '../testbed/plan.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
    runContext: RunContext;
    /** Unix socket of the run's shared testbed (helpers/testbed/shared-server.ts). */
    sharedTestbed: string;
  }
}
