/** The public entry of helpers/forwarders for the suites: what they use, re-exported. */
export { commandForwarder } from './command-forwarder.js';
export { DEFAULT_DECLARATION } from './declaration-file.js';
export { describeQosPolicy, expectedForwardedQos } from './forwarder.js';
export { REFERENCE_BUNDLE, referenceForwarder } from './reference-forwarder.js';
export { forwarderFromSpec } from './registry.js';
