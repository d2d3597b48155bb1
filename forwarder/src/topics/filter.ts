// MQTT topic names and topic filters: validation, matching, and the set
// relations (covers / intersects / generalize) used to merge subscriptions.

export const LEVEL_SEPARATOR = '/';
export const SINGLE_LEVEL_WILDCARD = '+';
export const MULTI_LEVEL_WILDCARD = '#';
/** Topic names and filters are UTF-8 strings of at most 65,535 bytes [MQTT-1.5.3]. */
export const MAX_TOPIC_BYTES = 65_535;

function checkCommon(topic: string): string | null {
  if (topic.length === 0) return 'must not be empty [MQTT-4.7.3-1]';
  if (topic.includes('\u0000')) return 'must not contain the NUL character [MQTT-4.7.3-2]';
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return `must be at most ${MAX_TOPIC_BYTES} bytes of UTF-8`;
  return null;
}

/**
 * Why `filter` is not a valid MQTT topic filter, or null when it is:
 * `#` only as the last level and alone in it [MQTT-4.7.1-2], `+` alone in its
 * level [MQTT-4.7.1-3], not empty, no NUL.
 */
export function filterError(filter: string): string | null {
  const common = checkCommon(filter);
  if (common) return common;
  const levels = filter.split(LEVEL_SEPARATOR);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes(MULTI_LEVEL_WILDCARD)) {
      if (level !== MULTI_LEVEL_WILDCARD)
        return `"#" must occupy a whole level (level ${i + 1} is "${level}") [MQTT-4.7.1-2]`;
      if (i !== levels.length - 1)
        return `"#" must be the last level (it is level ${i + 1} of ${levels.length}) [MQTT-4.7.1-2]`;
    }
    if (level.includes(SINGLE_LEVEL_WILDCARD) && level !== SINGLE_LEVEL_WILDCARD) {
      return `"+" must occupy a whole level (level ${i + 1} is "${level}") [MQTT-4.7.1-3]`;
    }
  }
  return null;
}

/** Why `topic` is not a valid topic name (wildcards are not allowed), or null. */
export function topicNameError(topic: string): string | null {
  const common = checkCommon(topic);
  if (common) return common;
  if (topic.includes(SINGLE_LEVEL_WILDCARD) || topic.includes(MULTI_LEVEL_WILDCARD)) {
    return 'a topic name must not contain "+" or "#" [MQTT-4.7.3-1]';
  }
  return null;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes(SINGLE_LEVEL_WILDCARD) || filter.includes(MULTI_LEVEL_WILDCARD);
}

const isWildcard = (level: string | undefined): boolean =>
  level === SINGLE_LEVEL_WILDCARD || level === MULTI_LEVEL_WILDCARD;

/** Whether a (valid) filter, given as levels, matches a topic name given as levels. */
export function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  // A filter starting with a wildcard does not match topics starting with "$" [MQTT-4.7.2-1].
  if (isWildcard(filter[0]) && (topic[0] ?? '').startsWith('$')) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === MULTI_LEVEL_WILDCARD) return true; // also matches the parent level [MQTT-4.7.1-2]
    if (i >= topic.length) return false;
    if (f !== SINGLE_LEVEL_WILDCARD && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

export function matches(filter: string, topic: string): boolean {
  return matchLevels(filter.split(LEVEL_SEPARATOR), topic.split(LEVEL_SEPARATOR));
}

// "$"-rule for two filters: a wildcard first level never meets a "$" first level.
function dollarSeparated(a: readonly string[], b: readonly string[]): boolean {
  const a0 = a[0] ?? '';
  const b0 = b[0] ?? '';
  return (isWildcard(a0) && b0.startsWith('$')) || (isWildcard(b0) && a0.startsWith('$'));
}

/** Whether every topic matched by filter `b` is also matched by filter `a`. */
export function covers(a: string, b: string): boolean {
  const la = a.split(LEVEL_SEPARATOR);
  const lb = b.split(LEVEL_SEPARATOR);
  if (isWildcard(la[0]) && !isWildcard(lb[0]) && (lb[0] ?? '').startsWith('$')) return false;
  for (let i = 0; i < la.length; i++) {
    const x = la[i];
    if (x === MULTI_LEVEL_WILDCARD) return true;
    const y = lb[i];
    if (y === undefined || y === MULTI_LEVEL_WILDCARD) return false;
    if (x === SINGLE_LEVEL_WILDCARD) continue;
    if (x !== y) return false;
  }
  return la.length === lb.length;
}

/** Whether at least one topic name matches both filters. */
export function intersects(a: string, b: string): boolean {
  const la = a.split(LEVEL_SEPARATOR);
  const lb = b.split(LEVEL_SEPARATOR);
  if (dollarSeparated(la, lb)) return false;
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const x = la[i];
    const y = lb[i];
    if (x === MULTI_LEVEL_WILDCARD || y === MULTI_LEVEL_WILDCARD) return true;
    if (x === undefined || y === undefined) return false;
    if (x !== SINGLE_LEVEL_WILDCARD && y !== SINGLE_LEVEL_WILDCARD && x !== y) return false;
  }
  return true;
}

/**
 * The narrowest filter of this shape that covers both (intersecting) filters:
 * equal levels kept, differing levels become "+", and from the first "#" on
 * everything is "#".
 */
export function generalize(a: string, b: string): string {
  const la = a.split(LEVEL_SEPARATOR);
  const lb = b.split(LEVEL_SEPARATOR);
  const out: string[] = [];
  const n = Math.max(la.length, lb.length);
  for (let i = 0; i < n; i++) {
    const x = la[i];
    const y = lb[i];
    if (x === undefined || y === undefined || x === MULTI_LEVEL_WILDCARD || y === MULTI_LEVEL_WILDCARD) {
      out.push(MULTI_LEVEL_WILDCARD);
      break;
    }
    out.push(x === y ? x : SINGLE_LEVEL_WILDCARD);
  }
  return out.join(LEVEL_SEPARATOR);
}
