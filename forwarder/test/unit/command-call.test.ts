import { describe, expect, it } from 'vitest';
import { commandCall } from '../../src/callbacks/command-call.js';

const convert = (payload: unknown) => {
  const out = commandCall(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
  return typeof out === 'string' ? out : out.toString();
};

describe('CommandCall', () => {
  it('converts the platform command to the device format', () => {
    expect(convert({ data: [{ name: 'a.b.c.key', value: 'v' }] })).toBe('{"b":{"dl":{"key":"v"}},"h":{"rt":"a|b|c"}}');
  });

  it('merges several items of the same route', () => {
    expect(
      convert({
        data: [
          { name: 'a.b.c.k1', value: '1' },
          { name: 'a.b.c.k2', value: '2' },
        ],
      }),
    ).toBe('{"b":{"dl":{"k1":"1","k2":"2"}},"h":{"rt":"a|b|c"}}');
  });

  it('keeps unusual keys as plain keys', () => {
    expect(
      (JSON.parse(convert({ data: [{ name: 'a.b.c.__proto__', value: 'x' }] })) as { b: { dl: object } }).b.dl,
    ).toHaveProperty('__proto__', 'x');
  });

  it.each([
    ['not json', /not valid JSON/],
    [{}, /non-empty "data" array/],
    [{ data: [] }, /non-empty "data" array/],
    [{ data: 'x' }, /non-empty "data" array/],
    [{ data: [5] }, /data\[0\] must be an object/],
    [{ data: [{ name: 'a.b.key', value: 'v' }] }, /exactly three dots/],
    [{ data: [{ name: 'a.b.c.d.e', value: 'v' }] }, /exactly three dots/],
    [{ data: [{ name: 'a..c.key', value: 'v' }] }, /four non-empty parts/],
    [{ data: [{ name: 'a.b.c.key', value: 1 }] }, /value must be a string/],
    [{ data: [{ value: 'v' }] }, /name must be a string/],
    [
      {
        data: [
          { name: 'a.b.c.k', value: 'v' },
          { name: 'x.b.c.k', value: 'v' },
        ],
      },
      /one message can carry one route/,
    ],
  ])('rejects %j', (payload, reason) => {
    expect(convert(payload)).toMatch(reason);
  });
});
