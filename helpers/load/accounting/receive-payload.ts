import { decodeMessage, type DecodedMessage, type ExpectedBody } from '../payload/index.js';
import type { LiveAccounting } from './live-accounting.js';
import type { ReceiptOutcome, ReceiveTracker } from './receive-tracker.js';

type Decoded<K extends DecodedMessage['kind']> = Extract<DecodedMessage, { kind: K }>;

/** A valid payload, with what the tracker made of it (new, reordered or duplicate). */
export type ReceivedOk = Decoded<'ok'> & { outcome: ReceiptOutcome };
export type ReceivedPayload = ReceivedOk | Decoded<'corrupted'> | Decoded<'foreign'>;

/**
 * The one receive step of every subscriber, the load engine's Consumer and the suites'
 * DeliveryTracker alike: decode the payload (identity + integrity), count it in `tracker` as
 * corrupted, foreign or re-parsed, and a valid one in `accounting`. Returns the decoded message,
 * a valid one with its receipt outcome. Runs per message at 10^5 msg/s: it allocates nothing
 * beyond the object decodeMessage returns, which carries the outcome.
 */
export function receivePayload(
  accounting: LiveAccounting,
  tracker: ReceiveTracker,
  payload: Buffer,
  expectedBody?: ExpectedBody,
): ReceivedPayload {
  const decoded = decodeMessage(payload, expectedBody);
  if (decoded.kind === 'corrupted') {
    tracker.corrupted++;
    return decoded;
  }
  if (decoded.kind === 'foreign') {
    tracker.foreign++;
    return decoded;
  }
  if (decoded.reparsed) tracker.reparsed++;
  const received = decoded as ReceivedOk;
  received.outcome = accounting.receive(tracker, decoded.publisherId, decoded.seq);
  return received;
}
