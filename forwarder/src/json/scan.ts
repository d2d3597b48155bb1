// A JSON syntax checker over raw bytes (RFC 8259). It allocates nothing on the
// success path, so EventCall can check a payload before embedding it verbatim,
// and config loading can point at the exact line and column of a syntax error.

/** Returned by {@link scanJson} when the input is one valid JSON text. */
export const JSON_VALID = -1;

const MAX_DEPTH = 512;

const enum State {
  Value,
  ValueOrCloseArray,
  KeyOrCloseObject,
  Key,
  Colon,
  AfterValue,
}

const OBJECT = 1;
const ARRAY = 2;

const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_QUOTE = 0x22;
const CH_PLUS = 0x2b;
const CH_COMMA = 0x2c;
const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_1 = 0x31;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_E_UPPER = 0x45;
const CH_LBRACKET = 0x5b;
const CH_BACKSLASH = 0x5c;
const CH_RBRACKET = 0x5d;
const CH_E_LOWER = 0x65;
const CH_U = 0x75;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

const LITERAL_TRUE = [0x74, 0x72, 0x75, 0x65];
const LITERAL_FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const LITERAL_NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Index of the first byte at or after `i` that is not JSON whitespace. */
export function skipJsonWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== CH_SPACE && c !== CH_LF && c !== CH_CR && c !== CH_TAB) break;
    i++;
  }
  return i;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= CH_0 && c <= CH_9;

const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= CH_0 && c <= CH_9) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

// Helpers return the index after the token, or -1 - errorOffset on error.
function scanString(b: Uint8Array, i: number, end: number): number {
  i++; // opening quote
  while (i < end) {
    const c = b[i] as number;
    if (c === CH_QUOTE) return i + 1;
    if (c < 0x20) return -1 - i;
    if (c === CH_BACKSLASH) {
      const e = b[i + 1];
      if (e === CH_U) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1 - i;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (
        e !== 0x22 &&
        e !== 0x5c &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      ) {
        return -1 - i;
      }
      i += 2;
      continue;
    }
    i++;
  }
  return -1 - end;
}

function scanNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === CH_MINUS) i++;
  if (b[i] === CH_0) {
    i++;
  } else if (b[i] !== undefined && (b[i] as number) >= CH_1 && (b[i] as number) <= CH_9) {
    while (i < end && isDigit(b[i])) i++;
  } else {
    return -1 - Math.min(i, end);
  }
  if (i < end && b[i] === CH_DOT) {
    i++;
    if (i >= end || !isDigit(b[i])) return -1 - Math.min(i, end);
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === CH_E_LOWER || b[i] === CH_E_UPPER)) {
    i++;
    if (b[i] === CH_PLUS || b[i] === CH_MINUS) i++;
    if (i >= end || !isDigit(b[i])) return -1 - Math.min(i, end);
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

function scanLiteral(b: Uint8Array, i: number, end: number, literal: readonly number[]): number {
  for (let k = 0; k < literal.length; k++) {
    if (i + k >= end || b[i + k] !== literal[k]) return -1 - Math.min(i + k, end);
  }
  return i + literal.length;
}

/**
 * Checks that `b[start, end)` is exactly one JSON value, optionally surrounded
 * by whitespace. Returns {@link JSON_VALID}, or the byte offset of the first
 * error (`end` when the input stops too early).
 */
export function scanJson(b: Uint8Array, start = 0, end = b.length): number {
  const stack: number[] = [];
  let state = State.Value;
  let i = start;
  for (;;) {
    i = skipJsonWhitespace(b, i, end);
    if (i >= end) return state === State.AfterValue && stack.length === 0 ? JSON_VALID : end;
    const c = b[i] as number;
    if (state === State.ValueOrCloseArray || state === State.KeyOrCloseObject) {
      if (c === (state === State.ValueOrCloseArray ? CH_RBRACKET : CH_RBRACE)) {
        stack.pop();
        i++;
        state = State.AfterValue;
        continue;
      }
      state = state === State.ValueOrCloseArray ? State.Value : State.Key;
    }
    if (state === State.Value) {
      if (c === CH_LBRACE || c === CH_LBRACKET) {
        if (stack.length >= MAX_DEPTH) return i;
        stack.push(c === CH_LBRACE ? OBJECT : ARRAY);
        i++;
        state = c === CH_LBRACE ? State.KeyOrCloseObject : State.ValueOrCloseArray;
        continue;
      }
      let next: number;
      if (c === CH_QUOTE) next = scanString(b, i, end);
      else if (c === CH_MINUS || isDigit(c)) next = scanNumber(b, i, end);
      else if (c === LITERAL_TRUE[0]) next = scanLiteral(b, i, end, LITERAL_TRUE);
      else if (c === LITERAL_FALSE[0]) next = scanLiteral(b, i, end, LITERAL_FALSE);
      else if (c === LITERAL_NULL[0]) next = scanLiteral(b, i, end, LITERAL_NULL);
      else return i;
      if (next < 0) return -1 - next;
      i = next;
      state = State.AfterValue;
    } else if (state === State.Key) {
      if (c !== CH_QUOTE) return i;
      const next = scanString(b, i, end);
      if (next < 0) return -1 - next;
      i = next;
      state = State.Colon;
    } else if (state === State.Colon) {
      if (c !== CH_COLON) return i;
      i++;
      state = State.Value;
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i; // trailing content after the value
      if (c === CH_COMMA) {
        i++;
        state = top === OBJECT ? State.Key : State.Value;
      } else if ((c === CH_RBRACE && top === OBJECT) || (c === CH_RBRACKET && top === ARRAY)) {
        stack.pop();
        i++;
      } else {
        return i;
      }
    }
  }
}

/** 1-based line and column (in characters) of a byte offset in UTF-8 text. */
export function lineAndColumn(b: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  const stop = Math.min(offset, b.length);
  for (let i = 0; i < stop; i++) {
    const c = b[i] as number;
    if (c === CH_LF) {
      line++;
      column = 1;
    } else if ((c & 0xc0) !== 0x80) {
      column++; // count characters, not UTF-8 continuation bytes
    }
  }
  return { line, column };
}

/** A short description of what is wrong at `offset` (from {@link scanJson}). */
export function describeJsonError(b: Uint8Array, offset: number): string {
  if (offset >= b.length) return 'unexpected end of input (a closing brace, bracket or quote is missing)';
  const c = b[offset] as number;
  if (c === CH_LF || c === CH_CR) return 'unexpected line break';
  const shown = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
  return `unexpected ${shown}`;
}
