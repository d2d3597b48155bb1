/** The public entry of helpers/vitest for the suites: what they use, re-exported. */
export { describeEachTarget, useBroker } from './describe-target.js';
export { describeEachTopology, skipWithoutTopologies, useTopology } from './describe-topology.js';
export { runPlan, runSettings } from './provided-plan.js';
export { recordResult } from './record-result.js';
export { runGatedScenario } from './run-gated.js';
export { sharedTopology } from './shared.js';
export { skipTest } from './skip.js';
export {
  declarationOf,
  guaranteeOf,
  maxGrantedQos,
  mqtt5SkipReason,
  PROTOCOL_VERSIONS,
  qos2PathSkipReason,
  qos2PublishSkipReason,
  QOS_LEVELS,
} from './suite-support.js';
