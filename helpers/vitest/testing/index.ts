/** The public entry of helpers/vitest/testing for the suites: what they use, re-exported. */
export {
  CHILD_RUN_CONFIG,
  childEnv,
  ChildRun,
  descendantsOf,
  leftoversOf,
  NOTHING_LEFT,
  recordedOwnerTempDirs,
  recordedPids,
  waitUntil,
} from './child-run.js';
