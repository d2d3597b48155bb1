/**
 * The load engine: run a workload against a broker or a forwarding path and
 * get one plain result object back.
 */
export { runLoad } from './run-load.js';
export { measureIdleConnections, type IdleConnectionsOptions, type IdleConnectionsReport } from './idle-connections.js';
export { workerBundleStatus, type WorkerBundleStatus } from './worker/bundle.js';
export { WorkerBundleError } from './worker/thread-worker.js';
export type { LoadWorker, WorkerReport, WorkerSpec } from './worker/types.js';
export type * from './types.js';
export { loadWorkloadFile, parseWorkload, workloadSchema, WorkloadError } from './workload.js';
export { nowUs } from './clock.js';
export { UniformRateLimiter } from './rate-limiter.js';
export {
  createProbeMessage,
  decodeMessage,
  encodeMessage,
  wrapEventCall,
  type DecodedMessage,
  type MessageIdentity,
} from './payload/index.js';
export { computeCounters, mergeAccounting, restoreAccounting } from './accounting/index.js';
export { type MicroTaskResult, runEngineMicro, runRoundTrip } from './micro.js';
