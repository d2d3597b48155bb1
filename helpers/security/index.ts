/** The public entry of helpers/security for the suites: what they use, re-exported. */
export { connectOptionsFor } from './client-options.js';
export { REDACTED } from './redact.js';
