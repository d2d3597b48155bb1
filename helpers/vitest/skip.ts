import { beforeEach, type TestContext } from 'vitest';
import { runSettings } from './provided-plan.js';
import type { SkipKind } from './skip-kinds.js';

export type { SkipKind } from './skip-kinds.js';

/** Skips the running test with its kind and reason; under STRICT an `environment` skip fails it instead. */
export function skipTest(context: Pick<TestContext, 'task' | 'skip'>, kind: SkipKind, reason: string): never {
  if (kind === 'environment' && runSettings().strict) {
    throw new Error(`MQTT_TESTBENCH_STRICT=1 and this test cannot run here: ${reason}`);
  }
  context.task.meta.skipKind = kind;
  return context.skip(reason);
}

/**
 * In a describe block: when this machine lacks what the block needs (`missing` says what and how to
 * get it), every test of the block is skipped with that reason, or fails under STRICT. Returns
 * whether the block can run, so its beforeAll hooks can return early instead of starting things.
 */
export function requireOnThisMachine(missing: string | undefined): boolean {
  if (missing !== undefined) beforeEach((context) => skipTest(context, 'environment', missing));
  return missing === undefined;
}
