/** The public entry of helpers/runtime for the suites: what they use, re-exported. */
export { mqttProbe } from './mqtt-probe.js';
export { withTimeout } from './readiness-error.js';
export { inResourceScope, runContext, RUNS_ROOT, shortRunId, uniqueName } from './run-context.js';
