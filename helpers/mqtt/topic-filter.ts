/**
 * Whether a string is a valid MQTT topic filter, for the harness's own inputs (the command line's
 * `--subscribe-topic`). The harness does not borrow the reference forwarder's topic code: it tests
 * that forwarder, so it keeps its own reading of the spec.
 */

/** Topic names and filters are UTF-8 strings of at most 65,535 bytes [MQTT-1.5.3]. */
const MAX_TOPIC_BYTES = 65_535;

/**
 * Why `filter` is not a valid topic filter, or null when it is: not empty [MQTT-4.7.3-1], no NUL
 * [MQTT-4.7.3-2], at most 65,535 bytes, `#` alone in the last level [MQTT-4.7.1-2], `+` alone in
 * its level [MQTT-4.7.1-3]. The answer completes "a topic filter ...".
 */
export function topicFilterProblem(filter: string): string | null {
  if (filter === '') return 'must not be empty [MQTT-4.7.3-1]';
  if (filter.includes('\u0000')) return 'must not contain the NUL character [MQTT-4.7.3-2]';
  if (Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) return `must be at most ${MAX_TOPIC_BYTES} bytes of UTF-8`;
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    const where = `level ${index + 1}`;
    if (level.includes('#') && level !== '#')
      return `"#" must occupy a whole level (${where} is "${level}") [MQTT-4.7.1-2]`;
    if (level === '#' && index !== levels.length - 1)
      return `"#" must be the last level (it is ${where} of ${levels.length}) [MQTT-4.7.1-2]`;
    if (level.includes('+') && level !== '+')
      return `"+" must occupy a whole level (${where} is "${level}") [MQTT-4.7.1-3]`;
  }
  return null;
}
