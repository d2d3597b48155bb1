/**
 * Redaction of secrets in text that is shown or stored: error messages, log tails, generated
 * configs, reports. Three layers, each cheap: credentials in URLs (`mqtt://user:pw@host`),
 * password fields of the configs the testbed generates (forwarder JSON, mosquitto.conf bridge
 * lines), and the literal values of the secrets this process knows (the run's broker password).
 */

export const REDACTED = '***';
/** Shorter values would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;

const knownSecrets = new Set<string>();

/** Every later `redact()` in this process replaces `secret` wherever it appears. */
export function registerSecret(secret: string): void {
  if (secret.length >= MIN_SECRET_LENGTH) knownSecrets.add(secret);
}

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in the text. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]*):[^\s/@'"]*@/gi;
/** `"password": "x"` (any key ending in password) in JSON, as the forwarder config and its logs write it. */
const JSON_PASSWORD = /("[a-z_]*password"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;
/** `remote_password x` in mosquitto.conf (a bridge's credentials). */
const CONF_PASSWORD = /^(\s*remote_password\s+)\S.*$/gm;

/** `url` with the password of its user info replaced (the user name is kept: it helps and is not secret). */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, `$1:${REDACTED}@`);
}

/**
 * `text` with every secret it can recognise replaced by `***`: URL passwords, password fields of
 * generated configs, and the registered secrets plus `extraSecrets` (also in their JSON- and
 * XML-escaped forms, for report files).
 */
export function redact(text: string, extraSecrets: readonly string[] = []): string {
  let out = text
    .replace(URL_USERINFO, `$1:${REDACTED}@`)
    .replace(JSON_PASSWORD, `$1"${REDACTED}"`)
    .replace(CONF_PASSWORD, `$1${REDACTED}`);
  for (const secret of new Set([...knownSecrets, ...extraSecrets.filter((s) => s.length >= MIN_SECRET_LENGTH)])) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), escapeXml(secret)]))
      out = out.replaceAll(form, REDACTED);
  }
  return out;
}

/** Applies `redact` to every string inside a JSON-like value (a report), keeping its shape. */
export function redactDeep<T>(value: T, extraSecrets: readonly string[] = []): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v, extraSecrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  return walk(value) as T;
}

/** The message of an error (or anything thrown), redacted. */
export function redactedMessage(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error));
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
