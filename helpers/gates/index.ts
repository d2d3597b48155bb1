/** The public entry of helpers/gates for the suites: what they use, re-exported. */
export { describeBrokenGates, evaluateGates, isTimingGate, resolveLimits } from './evaluate.js';
export { type GateFile, loadGates } from './gate-file.js';
