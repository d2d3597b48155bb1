export { SequenceBitset } from './sequence-bitset.js';
export { SendLedger, type SettleListener } from './send-ledger.js';
export {
  ReceiveTracker,
  RECEIPT_DUPLICATE,
  RECEIPT_NEW,
  RECEIPT_NEW_REORDERED,
  type PublisherReceipts,
  type ReceiptOutcome,
} from './receive-tracker.js';
export { computeCounters, sampleLost, toMessageCounters, type DeliveryCounters, type LostSample } from './counters.js';
export {
  mergeAccounting,
  restoreAccounting,
  snapshotAccounting,
  type AccountingSnapshot,
  type AccountingState,
} from './snapshot.js';
export { LiveAccounting } from './live-accounting.js';
export { receivePayload, type ReceivedOk, type ReceivedPayload } from './receive-payload.js';
