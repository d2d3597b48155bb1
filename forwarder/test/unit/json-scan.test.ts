import { describe, expect, it } from 'vitest';
import { JSON_VALID, describeJsonError, lineAndColumn, scanJson } from '../../src/json/scan.js';

const scan = (text: string) => scanJson(Buffer.from(text));

describe('scanJson', () => {
  it.each([
    '{}',
    '[]',
    '0',
    '-0.5e+10',
    '"a\\u00e9\\n"',
    'true',
    'false',
    'null',
    ' {"a":[1,{"b":null}],"c":"d"} ',
    '[1,2,[3,[4]]]',
    '{"k":-12.75E-3}',
    '"中文"',
  ])('accepts %s', (text) => {
    expect(scan(text)).toBe(JSON_VALID);
    expect(() => void JSON.parse(text)).not.toThrow();
  });

  it.each([
    ['', 0],
    ['{', 1],
    ['{"a":1,}', 7],
    ['[1,]', 3],
    ['01', 1],
    ['1.', 2],
    ['1e', 2],
    ['-', 1],
    ['tru', 3],
    ['{"a" 1}', 5],
    ["{'a':1}", 1],
    ['"a\\x"', 2],
    ['"\u0001"', 1],
    ['{} {}', 3],
    ['[1 2]', 3],
    ['"abc', 4],
    ['NaN', 0],
  ])('rejects %j at byte %i', (text, offset) => {
    expect(scan(text)).toBe(offset);
    expect(() => void JSON.parse(text)).toThrow();
  });

  it('checks a slice of a buffer', () => {
    const b = Buffer.from('xx[1,2]yy');
    expect(scanJson(b, 2, 7)).toBe(JSON_VALID);
  });

  it('limits nesting depth instead of overflowing the stack', () => {
    expect(scan('['.repeat(100_000))).toBe(512);
  });

  it('locates errors by line and character column', () => {
    const b = Buffer.from('{\n  "名": 1,\n  x\n}');
    const offset = scanJson(b);
    expect(lineAndColumn(b, offset)).toEqual({ line: 3, column: 3 });
    expect(describeJsonError(b, offset)).toBe("unexpected 'x'");
    expect(describeJsonError(b, b.length)).toMatch(/end of input/);
  });
});
