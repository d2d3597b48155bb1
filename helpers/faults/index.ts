/**
 * Fault injection for forwarding topologies: which faults exist and how each is injected
 * (inject.ts), what each one lets a forwarder lose (expectations.ts), a watcher that times
 * recovery (recovery-watch.ts) and the run of QoS 0 and QoS 1 streams around one fault (fault-run.ts).
 */
export { faultExpectation, QOS0_PHRASE, type FaultExpectation, type FaultSubject } from './expectations.js';
export {
  FAULT_CONNECT_OPTIONS,
  runFaultStreams,
  type FaultRunOutcome,
  type FaultRunPlan,
  type FaultStream,
  type FaultStreamPlan,
} from './fault-run.js';
export {
  DEFAULT_PAUSE_MS,
  FAULT_KINDS,
  FAULTS,
  faultComponent,
  FaultInjectionError,
  injectFault,
  unsupportedReason,
  type FaultKind,
  type FaultTimeline,
} from './inject.js';
export { RecoveryWatch, type TopicRecovery } from './recovery-watch.js';
