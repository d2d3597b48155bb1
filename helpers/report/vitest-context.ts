/**
 * What a test run hands the testbench reporter through vitest: the provided context (set by the
 * global setup) and the results each test attaches to its task meta (vitest/record-result.ts).
 */
import type { RunContext } from '../runtime/run-context.js';
import type { RunPlan } from '../testbed/run-plan.js';
import type { TestbenchResult } from './testbench-result.js';

declare module 'vitest' {
  export interface ProvidedContext {
    plan: RunPlan;
    runContext: RunContext;
    /** Unix socket of the run's shared testbed (helpers/testbed/shared-server.ts). */
    sharedTestbed: string;
    /**
     * Which suites project runs the file: `behaviour` (files side by side, nothing timed) or
     * `measure` (one file at a time, alone on the machine). A file in both registers its timed
     * tests in `measure` and the others in `behaviour`.
     */
    suiteProject: 'behaviour' | 'measure';
  }
  interface TaskMeta {
    /** Structured results of this test, collected by the testbench reporter into report.json. */
    testbench?: TestbenchResult[];
  }
}
