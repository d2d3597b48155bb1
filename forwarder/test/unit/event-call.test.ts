import { describe, expect, it } from 'vitest';
import { eventCall, eventCallSuffix, webtalkIdOf } from '../../src/callbacks/event-call.js';

const wrap = (payload: string | Buffer, id = 'dev1') => {
  const out = eventCall(Buffer.isBuffer(payload) ? payload : Buffer.from(payload), eventCallSuffix(id));
  return typeof out === 'string' ? out : out.toString();
};

describe('EventCall', () => {
  it('wraps the payload in exactly this key order, compact', () => {
    expect(wrap('{"t":1}')).toBe(
      '{"data":{"t":1},"operationType":"uploadRtd","projectID":"X2View","requestType":"wrequest","serialNo":0,"webtalkID":"dev1"}',
    );
  });

  it('embeds the payload text verbatim: numbers, key order and escapes unchanged', () => {
    const payload = '{"z":1.50,"a":1e3,"big":12345678901234567890,"s":"\\u00e9","n":[0.10, 2]}';
    const out = wrap(payload);
    expect(out.startsWith(`{"data":${payload},`)).toBe(true);
    expect((JSON.parse(out) as { data: unknown }).data).toEqual(JSON.parse(payload));
  });

  it('accepts any JSON value and trims surrounding whitespace', () => {
    expect(wrap('  [1,2]\n')).toMatch(/^\{"data":\[1,2\],"operationType"/);
    expect(wrap('42')).toMatch(/^\{"data":42,/);
    expect(wrap('"s"')).toMatch(/^\{"data":"s",/);
  });

  it('escapes the webtalkID as a JSON string', () => {
    expect((JSON.parse(wrap('{}', 'a"b\\c')) as { webtalkID: string }).webtalkID).toBe('a"b\\c');
  });

  it.each(['not json', '{"a":1', '{"a":1}{"b":2}', '', '   '])('rejects %j', (payload) => {
    expect(wrap(payload)).toMatch(/not valid JSON/);
  });

  it('rejects invalid UTF-8', () => {
    expect(wrap(Buffer.from([0x22, 0xff, 0x22]))).toMatch(/UTF-8/);
  });

  it('takes the webtalkID from the last topic level', () => {
    expect(webtalkIdOf('/ge/web/dev42')).toBe('dev42');
    expect(webtalkIdOf('dev')).toBe('dev');
    expect(webtalkIdOf('/ge/web/')).toBeNull();
  });
});
