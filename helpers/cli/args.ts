/**
 * A small argument reader for the subcommands: known flags (with or without a value), positional
 * arguments, and everything after `--` or unknown (for `bench`, which passes it to vitest).
 */
export class UsageError extends Error {}

export interface FlagSpec {
  /** Flag takes a value (`--to FILE` or `--to=FILE`). */
  value?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
  /** Arguments not recognised (only collected when `passThrough` is set). */
  rest: string[];
}

export function parseArgs(
  argv: readonly string[],
  specs: Record<string, FlagSpec>,
  options: { passThrough?: boolean; maxPositionals?: number } = {},
): ParsedArgs {
  const parsed: ParsedArgs = { flags: new Map(), positionals: [], rest: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') {
      if (!options.passThrough) throw new UsageError('"--" is only allowed for bench (to pass arguments to vitest).');
      parsed.rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq >= 0 ? eq : undefined);
      const spec = specs[name];
      if (!spec) {
        if (options.passThrough) {
          parsed.rest.push(arg);
          continue;
        }
        throw new UsageError(
          `unknown option --${name}; known: ${
            Object.keys(specs)
              .map((s) => `--${s}`)
              .join(', ') || 'none'
          }.`,
        );
      }
      if (spec.value) {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
        if (value === undefined || value === '' || (eq < 0 && value.startsWith('--')))
          throw new UsageError(`--${name} needs a value.`);
        if (eq < 0) i += 1;
        parsed.flags.set(name, value);
      } else {
        if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
        parsed.flags.set(name, true);
      }
      continue;
    }
    if (options.passThrough && (arg.startsWith('-') || parsed.rest.length > 0)) {
      parsed.rest.push(arg);
      continue;
    }
    parsed.positionals.push(arg);
  }
  if (options.maxPositionals !== undefined && parsed.positionals.length > options.maxPositionals) {
    throw new UsageError(`too many arguments: ${parsed.positionals.slice(options.maxPositionals).join(' ')}.`);
  }
  return parsed;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
