import { describe, expect, it } from 'vitest';
import { compileMapping, mappingError } from '../../src/topics/map.js';

const map = (source: string, target: string, topic: string) => compileMapping(source, target)(topic.split('/'), topic);

describe('topic mapping', () => {
  it('carries the "#" levels over: /ge/web/# -> /up/ge/#', () => {
    expect(map('/ge/web/#', '/up/ge/#', '/ge/web/a/b')).toBe('/up/ge/a/b');
  });

  it('keeps the topic when source and target are the same', () => {
    expect(map('/ge/web/#', '/ge/web/#', '/ge/web/x')).toBe('/ge/web/x');
  });

  it('maps "+" levels in order', () => {
    expect(map('site/+/dev/+/#', 'up/+/+/#', 'site/s1/dev/d7/temp/raw')).toBe('up/s1/d7/temp/raw');
  });

  it('drops the "/#" when "#" matched no level', () => {
    expect(map('a/#', 'b/#', 'a')).toBe('b');
    expect(map('a/#', '#', 'a')).toBeNull();
  });

  it('sends everything to a fixed topic when the target has no wildcard', () => {
    expect(map('sensors/+/temp', 'all/temp', 'sensors/k1/temp')).toBe('all/temp');
  });

  it.each([
    ['a/#', 'b', /no "#"/],
    ['a/#', 'b/+', /no "#"/],
    ['a/+', 'b/#', /target has "#"/],
    ['a/+/+', 'b/+', /1 "\+" but the source filter "a\/\+\/\+" has 2/],
    ['a/b', 'c/+', /1 "\+"/],
    ['a/#', 'b/#/c', /last level/],
    ['a/#', 'b#', /whole level/],
  ])('rejects source %s -> target %s', (source, target, reason) => {
    expect(mappingError(source, target)).toMatch(reason);
  });

  it.each([
    ['a/#', 'b/#'],
    ['a/+', 'b/+'],
    ['a/+', 'fixed'],
    ['x', 'y'],
    ['+/#', '+/#'],
  ])('accepts %s -> %s', (s, t) => {
    expect(mappingError(s, t)).toBeNull();
  });
});
