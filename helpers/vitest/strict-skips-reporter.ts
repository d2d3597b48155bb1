/**
 * MQTT_TESTBENCH_STRICT=1 means every selected test ran. This reporter fails the run (exit code 1)
 * for any skipped test whose skip does not follow from a declared capability, the run's selection,
 * or an allowed inconclusive verdict (see skip-kinds.ts): a `describe.skipIf`, a bare
 * `context.skip()`, a test skipped because this machine lacks something. Tests that a `-t` name
 * filter left out were not selected and do not count.
 */
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';
import { ConfigError } from '../config/errors.js';
import { loadSettings } from '../config/settings.js';
import { ALLOWED_UNDER_STRICT } from './skip-kinds.js';

export class StrictSkipsReporter implements Reporter {
  private vitest: Vitest | undefined;
  private strict = false;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    try {
      this.strict = loadSettings().strict;
    } catch (error) {
      // Bad settings stop the run in the global setup, with the full list of what is wrong.
      if (!(error instanceof ConfigError)) throw error;
    }
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!this.strict || !this.vitest) return;
    const pattern = this.vitest.config.testNamePattern;
    const unexplained = testModules.flatMap((m) => [...m.children.allTests()]).filter((t) => !explained(t, pattern));
    if (unexplained.length === 0) return;
    process.exitCode = 1;
    this.vitest.logger.error(
      [
        `mqtt-testbench: MQTT_TESTBENCH_STRICT=1, but ${unexplained.length} test(s) were skipped without a declared reason ` +
          '(a capability of the target or forwarder, the profile, or an allowed inconclusive verdict), so the run fails:',
        ...unexplained.slice(0, 20).map((t) => `  - ${t.module.moduleId}: ${t.fullName}: ${skipNote(t)}`),
        ...(unexplained.length > 20 ? [`  … and ${unexplained.length - 20} more`] : []),
      ].join('\n'),
    );
  }
}

function explained(test: TestCase, pattern: RegExp | undefined): boolean {
  if (test.result().state !== 'skipped') return true;
  // A name filter (-t) marks every other test skipped: those were not selected.
  if (pattern && test.options.mode === 'skip' && !pattern.test(test.fullName.replaceAll(' > ', ' '))) return true;
  const kind = test.meta().skipKind;
  return kind !== undefined && ALLOWED_UNDER_STRICT.has(kind);
}

function skipNote(test: TestCase): string {
  const result = test.result();
  return (result.state === 'skipped' ? result.note : undefined) ?? '(no reason given)';
}
