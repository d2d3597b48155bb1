/** The public entry of helpers/scenario for the suites: what they use, re-exported. */
export { describeSteps, findMaxSustainableRate, maxRateCriteria, type MaxRateResult } from './max-rate.js';
export {
  heavyTopologyLeaveOut,
  profileCases,
  profileIdleConnections,
  profileMicro,
  type ScenarioCase,
} from './profile.js';
export { gateFigures, loadToResult } from './to-result.js';
