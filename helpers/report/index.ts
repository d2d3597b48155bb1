/** The public entry of helpers/report for the suites: what they use, re-exported. */
export { type FailedTest, type TestbenchReport } from './report-types.js';
export { type QosCellAnnotation, type TestbenchResult } from './testbench-result.js';
