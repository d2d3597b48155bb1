/** The public entry of helpers/testbed for the suites: what they use, re-exported. */
export { runResources, type RunResources } from './leftovers.js';
export { deadComponents, describeLoadErrors, topologyComponents } from './liveness.js';
export { type RunPlan, type TargetPlan, type TopologyPlan } from './run-plan.js';
export { brokerSubject, topologySubject } from './subject.js';
export { type RouteNamespace, testTopicPrefix } from './topics.js';
export { type StartedTopology, startTopology } from './topology.js';
