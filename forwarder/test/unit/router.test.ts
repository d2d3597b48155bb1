import { describe, expect, it } from 'vitest';
import { Router, type RouterRule } from '../../src/topics/router.js';

const rule = (
  name: string,
  sourceFilter: string,
  targetPattern: string,
  callback: RouterRule['callback'] = null,
): RouterRule => ({
  name,
  sourceFilter,
  targetPattern,
  targetClient: 'up',
  callback,
  qosPolicy: 'preserve',
  retainHandling: 'preserve',
});

describe('Router', () => {
  it('returns every matching rule once, in config order', () => {
    const router = new Router([rule('all', 'a/#', 'x/#'), rule('plus', 'a/+', 'y/+'), rule('other', 'b/#', 'b/#')]);
    const routes = router.match('a/1');
    expect(routes.map((r) => [r.rule.name, r.targetTopic])).toEqual([
      ['all', 'x/1'],
      ['plus', 'y/1'],
    ]);
    expect(router.match('c')).toEqual([]);
  });

  it('caches per topic and starts over when the cache is full', () => {
    const router = new Router([rule('r', '#', '#')], 2);
    const first = router.match('t/1');
    expect(router.match('t/1')).toBe(first);
    router.match('t/2');
    router.match('t/3');
    expect(router.match('t/1')).not.toBe(first);
    expect(router.match('t/1')).toEqual(first);
  });

  it('prepares the callback per topic (EventCall webtalkID = last source level)', () => {
    const [route] = new Router([rule('ev', '/ge/web/#', '/up/#', 'EventCall')]).match('/ge/web/dev7');
    const out = route?.transform?.(Buffer.from('{"a":1}'));
    expect(out?.toString()).toContain('"webtalkID":"dev7"');
  });

  it('reports an unmappable topic as a null target', () => {
    expect(new Router([rule('r', 'a/#', '#')]).match('a')[0]?.targetTopic).toBeNull();
  });
});
