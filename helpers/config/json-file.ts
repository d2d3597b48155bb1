import { ConfigError } from './errors.js';

/** JSON.parse with an error that gives line and column instead of a character offset. */
export function parseJsonWithPosition(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const offset = position === undefined ? text.length : Number(position);
    const before = text.slice(0, offset).split('\n');
    const line = before.length;
    const column = (before.at(-1)?.length ?? 0) + 1;
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new ConfigError([`${source}: invalid JSON at line ${line}, column ${column}: ${reason}.`]);
  }
}
