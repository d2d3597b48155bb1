/**
 * Arguments of a subcommand, read with Node's own `util.parseArgs` (long and short options,
 * `--name=value`, grouped short flags, `--`), in its tolerant mode so that every mistake gets a
 * message of ours: an unknown option with the closest known one, a missing value, a value for a
 * flag, an option given twice, too many arguments. Each is a UsageError (exit 2).
 */
import { parseArgs } from 'node:util';
import { didYouMean } from './suggest.js';

export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given more than once; the values are kept in order. */
  multiple?: boolean;
  /** Placeholder of the value in the help, e.g. `URL`. */
  valueName?: string;
  /** One or two lines for the help. */
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? true : S[K]['multiple'] extends true ? string[] : string;
};

export interface ParsedArgs<S extends OptionSpecs> {
  values: OptionValues<S>;
  positionals: string[];
  /** Arguments for another program (vitest): after `--`, and, with `rest: 'unknown'`, options not known here. */
  rest: string[];
  /** `-h` or `--help` was given: print the help, nothing else is checked. */
  help: boolean;
  /** The arguments as given (for the command line a report names). */
  argv: readonly string[];
}

export interface ParseOptions {
  /** `after-dashes`: what follows `--` is passed on; `unknown`: also unknown options and what follows them. */
  rest?: 'after-dashes' | 'unknown';
  maxPositionals?: number;
}

const HELP_NAMES = new Set(['help', 'h']);

export function parseCommandArgs<S extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  specs: S,
  options: ParseOptions = {},
): ParsedArgs<S> {
  const config = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
    ]),
  );
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...config, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | true | string[]> = {};
  const positionals: string[] = [];
  const rest: string[] = [];
  // Help goes before every other check: `load --bogus --help` prints the help.
  if (tokens.some((token) => token.kind === 'option' && HELP_NAMES.has(token.name)))
    return { values: {}, positionals, rest, help: true, argv };
  let afterDashes = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      if (!options.rest) throw new UsageError(`"--" has no meaning for ${command}: remove it.`);
      afterDashes = true;
      continue;
    }
    if (token.kind === 'positional') {
      if (afterDashes || (options.rest === 'unknown' && rest.length > 0)) rest.push(token.value);
      else positionals.push(token.value);
      continue;
    }
    const spec = specs[token.name];
    if (!spec) {
      if (options.rest === 'unknown') {
        rest.push(argv[token.index] as string);
        continue;
      }
      throw new UsageError(`unknown option ${token.rawName}${suggestion(token.rawName, specs)}`);
    }
    const shown = `--${token.name}`;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${shown} takes no value (got "${token.value}").`);
      values[token.name] = true;
      continue;
    }
    const value = token.value;
    // `--url --json`: parseArgs takes "--json" as the URL; here it is a missing value.
    if (value === undefined || value === '' || (!token.inlineValue && /^-(?!\d)/.test(value)))
      throw new UsageError(`${shown} needs a value: ${shown} ${spec.valueName ?? 'VALUE'}.`);
    if (spec.multiple) {
      const list = (values[token.name] as string[] | undefined) ?? [];
      list.push(value);
      values[token.name] = list;
    } else {
      const previous = values[token.name];
      if (previous !== undefined && previous !== value)
        throw new UsageError(`${shown} is given twice ("${String(previous)}" and "${value}"): give it once.`);
      values[token.name] = value;
    }
  }
  if (options.maxPositionals !== undefined && positionals.length > options.maxPositionals) {
    const extra = positionals.slice(options.maxPositionals);
    throw new UsageError(
      `too many arguments: ${extra.join(' ')}${options.maxPositionals === 0 ? ` (${command} takes options only)` : ''}.`,
    );
  }
  return { values: values as OptionValues<S>, positionals, rest, help: false, argv };
}

function suggestion(rawName: string, specs: OptionSpecs): string {
  if (!rawName.startsWith('--')) {
    const shorts = Object.entries(specs)
      .filter(([, spec]) => spec.short)
      .map(([name, spec]) => `-${spec.short} (--${name})`);
    return `; the short options are ${[...shorts, '-h (--help)'].join(', ')}.`;
  }
  return didYouMean(rawName.slice(2), [...Object.keys(specs), 'help'], (name) => `--${name}`) || '.';
}
