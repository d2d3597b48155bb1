import type { IClientOptions } from 'mqtt';

/** What the lean client can do; everything else makes the engine use mqtt.js (see choose-client.ts). */
export interface LeanOptions {
  secure: boolean;
  username?: string;
  password?: string | Buffer;
  ca?: IClientOptions['ca'];
  cert?: IClientOptions['cert'];
  key?: IClientOptions['key'];
  rejectUnauthorized?: boolean;
  servername?: string;
  clean?: boolean;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
}

export type LeanSupport = { supported: true; options: LeanOptions } | { supported: false; reason: string };

const PLAIN_SCHEMES = new Set(['mqtt:', 'tcp:']);
const TLS_SCHEMES = new Set(['mqtts:', 'ssl:']);
/** Options mqtt.js takes that change nothing on the wire, or that the engine sets itself. */
const IGNORED = new Set([
  'log',
  'clientId',
  'protocolVersion',
  'protocolId',
  'queueQoSZero',
  'reschedulePings',
  'resubscribe',
]);

/**
 * Whether the lean client can serve `url` with `options`, and if so with which settings. The
 * reason for a "no" names the option or URL part, so a report can say why mqtt.js was used.
 */
export function leanSupport(url: string, options: IClientOptions = {}): LeanSupport {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { supported: false, reason: `the URL "${url}" does not parse` };
  }
  const secure = TLS_SCHEMES.has(parsed.protocol);
  if (!secure && !PLAIN_SCHEMES.has(parsed.protocol))
    return { supported: false, reason: `${parsed.protocol}// connections (the lean client speaks TCP and TLS)` };
  const {
    username,
    password,
    ca,
    cert,
    key,
    rejectUnauthorized,
    servername,
    clean,
    keepalive,
    connectTimeout,
    reconnectPeriod,
    properties,
    ...rest
  } = options;
  const other = Object.entries(rest).find(([name, value]) => value !== undefined && !IGNORED.has(name));
  if (other) return { supported: false, reason: `the connect option "${other[0]}"` };
  if (reconnectPeriod !== undefined && reconnectPeriod !== 0)
    return { supported: false, reason: `reconnectPeriod ${reconnectPeriod} (the lean client does not reconnect)` };
  const propertyNames = Object.entries(properties ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  if (propertyNames.length > 0)
    return { supported: false, reason: `MQTT 5 CONNECT properties (${propertyNames.join(', ')})` };
  const lean: LeanOptions = { secure };
  if (username !== undefined) lean.username = username;
  if (password !== undefined) lean.password = password;
  if (ca !== undefined) lean.ca = ca;
  if (cert !== undefined) lean.cert = cert;
  if (key !== undefined) lean.key = key;
  if (rejectUnauthorized !== undefined) lean.rejectUnauthorized = rejectUnauthorized;
  if (servername !== undefined) lean.servername = servername;
  if (clean !== undefined) lean.clean = clean;
  if (keepalive !== undefined) lean.keepaliveSeconds = keepalive;
  if (connectTimeout !== undefined) lean.connectTimeoutMs = connectTimeout;
  return { supported: true, options: lean };
}
