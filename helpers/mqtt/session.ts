import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerEndpoint } from '../model/index.js';
import { connectTestClient, type TestClient } from './client.js';

export interface SessionExpiryPollOptions {
  broker: BrokerEndpoint;
  /** Client id of the MQTT 5 session under test. */
  clientId: string;
  /** Session Expiry Interval every attempt sends again, seconds (the one the session was created with). */
  sessionExpirySec: number;
  /** Give up after this long (the wait ends as soon as the session is gone). */
  timeoutMs: number;
  /** Pause before the first attempt, doubled after every attempt that still found the session. Default 250 ms. */
  firstPauseMs?: number;
  /**
   * Called while the client of an attempt that resumed the session is still connected (e.g. to
   * see what the resumed session delivers), and again after it disconnected (e.g. to queue a
   * message for the session while it is offline).
   */
  onResumed?: (client: TestClient) => Promise<void>;
  afterResumedDisconnect?: () => Promise<void>;
}

export interface SessionExpiryAttempt {
  /** How long the session had been offline when this attempt connected, ms. */
  offlineMs: number;
  sessionPresent: boolean;
}

export interface SessionExpiryPoll {
  attempts: SessionExpiryAttempt[];
  /** The attempt that found the session gone, still connected (Clean Start 0, no session): the caller closes it. */
  gone: TestClient | undefined;
}

/**
 * Waits for an MQTT 5 session to expire by reconnecting until the CONNACK's Session Present flag
 * flips to 0, instead of sleeping for the expiry and hoping. An attempt that finds the session
 * resumes it, and its disconnect starts the expiry interval again [MQTT-3.1.2-23]; so each pause
 * doubles, until one is longer than the interval plus the broker's expiry check granularity.
 * Every attempt connects with Clean Start 0 and the same expiry, so probing never ends the
 * session early; the attempt that finds it gone is returned connected, for the caller to check
 * what such a fresh session delivers.
 */
export async function pollUntilSessionExpired(options: SessionExpiryPollOptions): Promise<SessionExpiryPoll> {
  const deadline = performance.now() + options.timeoutMs;
  const attempts: SessionExpiryAttempt[] = [];
  let pauseMs = options.firstPauseMs ?? 250;
  let offlineSince = performance.now();
  while (performance.now() + pauseMs <= deadline) {
    // A pause between reconnect attempts, bounded by the deadline: this is the poll interval.
    await sleep(pauseMs);
    const client = await connectTestClient({
      broker: options.broker,
      role: 'exp',
      clientId: options.clientId,
      protocolVersion: 5,
      clean: false,
      sessionExpirySec: options.sessionExpirySec,
    });
    attempts.push({ offlineMs: Math.round(performance.now() - offlineSince), sessionPresent: client.sessionPresent });
    if (!client.sessionPresent) return { attempts, gone: client };
    await options.onResumed?.(client);
    await client.close();
    offlineSince = performance.now();
    await options.afterResumedDisconnect?.();
    pauseMs *= 2;
  }
  return { attempts, gone: undefined };
}
