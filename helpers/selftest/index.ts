/** The public entry of helpers/selftest for the suites: what they use, re-exported. */
export { type SelftestBroker, selftestBrokerUnavailable, startSelftestBroker } from './broker.js';
export {
  childReportDir,
  type ChildSuitesOutcome,
  deliveryOnlyGates,
  runChildSuites,
  withLatencyGate,
} from './child-suites.js';
export { type DefectSpec, describeDefect } from './defects.js';
export { describeMode, type FaultyMode } from './faulty-forwarder/modes.js';
export {
  type FaultyForwarderStats,
  readFaultyForwarderStats,
  STATS_DIR_ENV,
  sumFigure,
} from './faulty-forwarder/stats.js';
export { type ProxyStats, startFaultyProxy } from './faulty-proxy.js';
export { type CountedCheck, defectProblems, describeFailure, failuresOf, scopeProblems } from './forwarder-verdicts.js';
