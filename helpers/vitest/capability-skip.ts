import type { TestContext } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /**
     * Set when the test was skipped because a declared capability of a target or a forwarder rules
     * it out (helpers/vitest/capability-skip.ts): the reason, naming the declaration.
     */
    capabilitySkip?: string;
  }
}

/** Prefix of every capability skip's note, so reports and JUnit readers can tell them apart too. */
export const CAPABILITY_SKIP_PREFIX = 'declared capability: ';

/**
 * Skips the running test because what a target's behaviour table or a forwarder's declaration says
 * rules it out (no MQTT 5, no QoS 2 publish, a route the forwarder does not implement, a fault an
 * external broker cannot take). The one way to skip for a declared capability: the test is marked
 * (`task.meta.capabilitySkip`), so a strict run (MQTT_TESTBENCH_STRICT=1) can allow exactly these
 * skips and fail every other one.
 */
export function skipForCapability(ctx: Pick<TestContext, 'skip' | 'task'>, reason: string): never {
  ctx.task.meta.capabilitySkip = reason;
  return ctx.skip(`${CAPABILITY_SKIP_PREFIX}${reason}`);
}
