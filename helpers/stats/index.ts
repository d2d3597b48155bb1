export * from './types.js';
export * from './latency-histogram.js';
export * from './interval-recorder.js';
export * from './period-stats.js';
export * from './saturation.js';
export * from './cpu-shares.js';
export { LATENCY_SIGNIFICANT_DIGITS } from './latency-histogram.js';
