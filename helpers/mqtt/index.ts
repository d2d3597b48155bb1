/**
 * The shared MQTT test client of the suites: unique client ids, connections that never leak
 * (closed when the test finishes), a collector of received PUBLISH packets with their flags, a
 * numbered publisher whose payloads carry identity and a CRC, exact delivery accounting, markers
 * that prove absence without sleeping, and session helpers. What a result is about
 * (`brokerSubject`, `topologySubject`) lives in helpers/testbed/subject.ts.
 */
export { DeliveryTracker, payloadProblems, SentLog, type Receipt } from './accounting.js';
export {
  clearRetained,
  clearRetainedOnFinish,
  connectTestClient,
  discardSession,
  discardSessionOnFinish,
  MAX_PORTABLE_CLIENT_ID,
  protocolName,
  testClientId,
  type TestClient,
  type TestClientOptions,
} from './client.js';
export {
  describeMessage,
  describePayload,
  MessageCollector,
  type MessageListener,
  type ReceivedMessage,
  type WaitCondition,
} from './collector.js';
export { isMarker, isMarkerOf, MARKER_PREFIX, MarkerSender, type Marker } from './marker.js';
export { deleteRetained, publishRetained, subscribeWithControl, type RetainedControl } from './retained.js';
export { publishNumbered, type NumberedPublishOptions, type NumberedPublishOutcome } from './publisher.js';
export {
  pollUntilSessionExpired,
  type SessionExpiryAttempt,
  type SessionExpiryPoll,
  type SessionExpiryPollOptions,
} from './session.js';
export type { ProtocolVersion } from '../model/index.js';
