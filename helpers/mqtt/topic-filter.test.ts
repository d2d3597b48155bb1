import { describe, expect, test } from 'vitest';
import { topicFilterProblem } from './topic-filter.js';

describe('topicFilterProblem', () => {
  test.each(['a/b', '#', '+', 'a/+/c', 'a/#', '+/+/#', '$share/g/a/#', '/', 'a//b'])('accepts %j', (filter) => {
    expect(topicFilterProblem(filter)).toBeNull();
  });

  test.each([
    ['', 'must not be empty [MQTT-4.7.3-1]'],
    ['a/\u0000', 'must not contain the NUL character [MQTT-4.7.3-2]'],
    ['x'.repeat(65_536), 'must be at most 65535 bytes of UTF-8'],
    ['a/b#', '"#" must occupy a whole level (level 2 is "b#") [MQTT-4.7.1-2]'],
    ['a/#/c', '"#" must be the last level (it is level 2 of 3) [MQTT-4.7.1-2]'],
    ['a+/b', '"+" must occupy a whole level (level 1 is "a+") [MQTT-4.7.1-3]'],
  ])('rejects %j: %s', (filter, problem) => {
    expect(topicFilterProblem(filter)).toBe(problem);
  });

  test('counts bytes of UTF-8, not characters', () => {
    expect(topicFilterProblem('é'.repeat(32_767))).toBeNull();
    expect(topicFilterProblem('é'.repeat(32_768))).toBe('must be at most 65535 bytes of UTF-8');
  });
});
