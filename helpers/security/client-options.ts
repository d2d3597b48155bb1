import type { IClientOptions } from 'mqtt';
import type { BrokerClientOptions, BrokerEndpoint } from '../model/index.js';
import { redact, redactUrl } from './redact.js';

/**
 * The mqtt.js options a client needs for `endpoints` (credentials, the CA to trust), as one set:
 * the load engine applies a single `connectOptions` to every client, publishers and subscribers
 * alike. Endpoints that need different values (two brokers with different passwords) cannot
 * share one set, and this says so instead of letting half of the clients be refused.
 */
export function connectOptionsFor(...endpoints: readonly BrokerEndpoint[]): IClientOptions {
  const merged: BrokerClientOptions = {};
  const from: Partial<Record<keyof BrokerClientOptions, string>> = {};
  for (const endpoint of endpoints) {
    for (const [key, value] of Object.entries(endpoint.clientOptions ?? {}) as [
      keyof BrokerClientOptions,
      string | undefined,
    ][]) {
      if (value === undefined) continue;
      const existing = merged[key];
      if (existing !== undefined && existing !== value) {
        throw new Error(
          `${from[key]} and ${endpoint.label} need different ${key === 'ca' ? 'CAs' : key} values, but the load engine applies one set of connect options to every client: use brokers that share their credentials (mosquitto-secure brokers of one run do).`,
        );
      }
      merged[key] = value;
      from[key] ??= endpoint.label;
    }
  }
  return { ...merged };
}

/** What kind of refusal ended a connection attempt. */
export type ConnectFailureKind = 'credentials' | 'tls-trust' | 'tls-handshake' | 'closed-before-connack' | 'other';

/** CONNACK codes that refuse the client's credentials: 3.1.1 (4, 5) and MQTT 5 (0x86, 0x87, 0x8C). */
const CREDENTIAL_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);
/** Node's codes for a certificate the client does not trust or that does not name the host. */
const TLS_TRUST_CODES =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE|ERR_TLS_CERT_ALTNAME_INVALID)$/;

export function classifyConnectFailure(error: unknown): ConnectFailureKind {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'number' && CREDENTIAL_CODES.has(code) && /Connection refused/i.test(message))
    return 'credentials';
  if (typeof code === 'string' && TLS_TRUST_CODES.test(code)) return 'tls-trust';
  if (/TLS not authorized/i.test(message)) return 'tls-trust';
  if (
    (typeof code === 'string' && /^ERR_SSL_|^EPROTO$/.test(code)) ||
    /SSL routines|wrong version number|handshake/i.test(message)
  )
    return 'tls-handshake';
  // A plain client on a TLS port: the broker's TLS layer reads CONNECT as a bad handshake and resets.
  if (
    (typeof code === 'string' && /^(ECONNRESET|EPIPE)$/.test(code)) ||
    /closed before CONNACK|connection closed|Couldn't connect to server/i.test(message)
  )
    return 'closed-before-connack';
  return 'other';
}

/**
 * Refusals that retrying cannot fix (wrong credentials, an untrusted certificate): a readiness
 * probe gives up on them at once with the reason, instead of running into its timeout.
 */
export function isDefinitiveRefusal(error: unknown): boolean {
  const kind = classifyConnectFailure(error);
  return kind === 'credentials' || kind === 'tls-trust';
}

/**
 * One sentence that names the broker, its URL and why the connection failed in the terms a user
 * acts on: the credentials were refused (and which user was sent, never the password), the
 * broker's certificate is not trusted, the TLS handshake failed, or the broker closed the
 * connection without answering. Redacted.
 */
export function describeConnectFailure(
  endpoint: BrokerEndpoint,
  error: unknown,
  sent: Pick<IClientOptions, 'username' | 'password' | 'ca'> = endpoint.clientOptions ?? {},
): string {
  const where = `${endpoint.label} at ${redactUrl(endpoint.url)}`;
  const cause = redact(error instanceof Error ? error.message : String(error));
  const code = (error as { code?: unknown } | undefined)?.code;
  const who = sent.username
    ? `user "${sent.username}"${sent.password === undefined ? ' without a password' : ' with a password'}`
    : 'no user name or password';
  switch (classifyConnectFailure(error)) {
    case 'credentials':
      return `${where} refused the credentials: authentication failed (CONNACK "${cause.replace(/^Connection refused: /i, '')}", code ${String(code)}) for ${who}.`;
    case 'tls-trust':
      return `${where}: TLS handshake failed, the broker's certificate is not trusted (${typeof code === 'string' ? `${code}: ` : ''}${cause})${sent.ca ? '' : '; no CA was given for this broker'}.`;
    case 'tls-handshake':
      return `${where}: TLS handshake failed (${typeof code === 'string' ? `${code}: ` : ''}${cause}); ${endpoint.url.startsWith('mqtts:') ? 'is this port a TLS listener?' : 'check the URL scheme (mqtt:// vs mqtts://)'}.`;
    case 'closed-before-connack':
      return `${where} closed the connection before answering CONNECT (${cause})${endpoint.url.startsWith('mqtt:') ? '; if this port is a TLS listener, connect with mqtts://' : ''}.`;
    default:
      return `${where}: connecting failed (${cause}).`;
  }
}
