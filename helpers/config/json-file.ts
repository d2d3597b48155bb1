import { ConfigError } from './errors.js';

/**
 * JSON.parse with an error that gives line and column instead of a character offset. V8 (Node 20)
 * leaves the offset out of some messages (`Unexpected token ']', ..."s",] }" is not valid JSON`),
 * so the offset comes from a small scanner of the JSON grammar, and V8's only when that finds none.
 */
export function parseJsonWithPosition(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const v8Position = /position (\d+)/.exec(message)?.[1];
    const offset = jsonSyntaxErrorOffset(text) ?? (v8Position === undefined ? text.length : Number(v8Position));
    const before = text.slice(0, offset).split('\n');
    const line = before.length;
    const column = (before.at(-1)?.length ?? 0) + 1;
    const reason = message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, \.*".*" is not valid JSON$/s, '')
      .replace(/^JSON\.parse: /, '')
      .replace(/\.$/, '');
    throw new ConfigError([`${source}: invalid JSON at line ${line}, column ${column}: ${reason}.`]);
  }
}

class JsonSyntaxAt extends Error {
  constructor(readonly offset: number) {
    super(`JSON syntax error at offset ${offset}`);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/** Offset of the first character that breaks the JSON grammar (RFC 8259), or undefined for valid JSON. */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i += 1;
  };
  const string = () => {
    i += 1; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const c = text[i] as string;
      if (c === '"') {
        i += 1;
        return;
      }
      if (c === '\\') {
        STRING_ESCAPE.lastIndex = i;
        if (!STRING_ESCAPE.test(text)) fail();
        i = STRING_ESCAPE.lastIndex;
      } else if (c.charCodeAt(0) < 0x20) {
        fail();
      } else {
        i += 1;
      }
    }
  };
  const value = (): void => {
    skipWhitespace();
    const c = text[i];
    if (c === '{') {
      i += 1;
      skipWhitespace();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        skipWhitespace();
        if (text[i] !== '"') fail();
        string();
        skipWhitespace();
        if (text[i] !== ':') fail();
        i += 1;
        value();
        skipWhitespace();
        if (text[i] === ',') i += 1;
        else if (text[i] === '}') {
          i += 1;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i += 1;
      skipWhitespace();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        skipWhitespace();
        if (text[i] === ',') i += 1;
        else if (text[i] === ']') {
          i += 1;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail();
      i = NUMBER.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    skipWhitespace();
    if (i < text.length) fail();
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    if (error instanceof RangeError) return undefined; // nested too deep for the scanner: V8's own position is used
    throw error;
  }
}
