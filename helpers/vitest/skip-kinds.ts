/**
 * Why a test is skipped, so MQTT_TESTBENCH_STRICT=1 can tell a skip that follows from what was
 * asked or declared from one that hides a broken setup:
 * - `capability`: the target or forwarder declares it cannot do this (no MQTT 5 on aedes, a route
 *   a forwarder does not implement, an external broker the testbench cannot restart);
 * - `not-selected`: the run's selection leaves it out (a test of the full profile in the ci one,
 *   a forwarding suite in a run without a forwarder);
 * - `inconclusive`: a timing verdict the gate file allows to be inconclusive;
 * - `environment`: this machine lacks something the test needs (a binary, a browser, an image).
 * Under STRICT an `environment` skip fails the test instead, and the strict-skips reporter fails
 * the run for any skip without one of the allowed kinds (a describe.skipIf, a bare context.skip).
 */
export type SkipKind = 'capability' | 'not-selected' | 'inconclusive' | 'environment';

export const ALLOWED_UNDER_STRICT: ReadonlySet<SkipKind> = new Set(['capability', 'not-selected', 'inconclusive']);

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test skipped itself (see SkipKind). */
    skipKind?: SkipKind;
  }
}
