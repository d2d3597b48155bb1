// Runs before every test file (both projects): the file's time per phase (helpers/stats/phase-clock)
// goes into the file's meta, where the testbench reporter reads "where the time went".
import { afterAll, beforeAll } from 'vitest';
import { phaseClock, type PhaseTotals } from '../stats/phase-clock.js';

declare module 'vitest' {
  interface TaskMeta {
    /** A test file's time per phase (set on the file's task). */
    phases?: PhaseTotals;
  }
}

beforeAll(() => {
  phaseClock.take(); // a worker runs several files: start this file's span now
});

// vitest requires the hook's first parameter (its fixtures) to be an object pattern.
// eslint-disable-next-line no-empty-pattern
afterAll(({}, suite) => {
  suite.meta.phases = phaseClock.take();
});
