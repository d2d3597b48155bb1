import { describe, expect, it } from 'vitest';
import { covers, filterError, generalize, intersects, matches, topicNameError } from '../../src/topics/filter.js';

describe('topic filter validation', () => {
  it.each(['#', '+', 'a/#', '/ge/web/#', 'a/+/c', '+/+', 'a//b', '/', 'sport/tennis/+/#', '$SYS/#'])(
    'accepts %s',
    (f) => {
      expect(filterError(f)).toBeNull();
    },
  );

  it.each([
    ['', /empty/],
    ['a/#/b', /last level/],
    ['a#', /whole level/],
    ['a/b#', /whole level/],
    ['a+/b', /whole level/],
    ['a/+b', /whole level/],
    ['a\u0000b', /NUL/],
    ['x'.repeat(65_536), /65535 bytes/],
  ])('rejects %j', (f, reason) => {
    expect(filterError(f)).toMatch(reason);
  });

  it('rejects wildcards in topic names', () => {
    expect(topicNameError('a/+')).toMatch(/must not contain/);
    expect(topicNameError('a/b')).toBeNull();
  });
});

describe('matching [MQTT-4.7]', () => {
  it.each([
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['+/+', '/x', true],
    ['/ge/web/#', '/ge/web/a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(matches(filter, topic)).toBe(expected);
  });
});

describe('covers / intersects / generalize', () => {
  it.each([
    ['a/#', 'a/b/#', true],
    ['a/#', 'a', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/#', false],
    ['#', '$SYS/#', false],
    ['a/b', 'a/+', false],
    ['+/+', 'a/b', true],
  ])('%s covers %s: %s', (a, b, expected) => {
    expect(covers(a, b)).toBe(expected);
  });

  it.each([
    ['a/+/c', 'a/b/+', true],
    ['a/+', 'b/+', false],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['+/x', '$SYS/x', false],
    ['#', 'anything/at/all', true],
  ])('%s intersects %s: %s', (a, b, expected) => {
    expect(intersects(a, b)).toBe(expected);
  });

  it('generalizes to the narrowest covering filter', () => {
    expect(generalize('a/+/c', 'a/b/+')).toBe('a/+/+');
    expect(generalize('a/b/#', 'a/+/c/d')).toBe('a/+/#');
    expect(generalize('a', 'a/#')).toBe('a/#');
    for (const [a, b] of [
      ['a/+/c', 'a/b/+'],
      ['a/b/#', 'a/+/c/d'],
    ] as const) {
      expect(covers(generalize(a, b), a)).toBe(true);
      expect(covers(generalize(a, b), b)).toBe(true);
    }
  });
});
