/**
 * A subcommand as data: its options, usage and description (the help is written from them), and
 * what it runs. `-h`/`--help` is handled here for every command: it prints the help and exits 0.
 */
import { parseCommandArgs, type OptionSpecs, type ParseOptions, type ParsedArgs } from './args.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CommandSpec<S extends OptionSpecs> {
  /** As typed after `mqtt-testbench`, e.g. `baseline save`. */
  name: string;
  /** One line for `mqtt-testbench --help`. */
  summary: string;
  /** Synopsis lines without the program name, e.g. `load [WORKLOAD.json] --url URL [options]`. */
  usage: readonly string[];
  /** Paragraphs of the help, each wrapped by hand. */
  description: string;
  options: S;
  parse?: ParseOptions;
  examples?: readonly string[];
  /** Exit codes of this command, when they differ from the program's (0 pass, 1 failed, 2 bad input). */
  exitCodes?: string;
  run(args: ParsedArgs<S>, io: CliIo): number | Promise<number>;
}

export interface CliCommand {
  name: string;
  summary: string;
  help(): string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

export function defineCommand<S extends OptionSpecs>(spec: CommandSpec<S>): CliCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    help: () => formatHelp(spec),
    async run(argv, io) {
      const args = parseCommandArgs(spec.name, argv, spec.options, spec.parse);
      if (args.help) {
        io.out(formatHelp(spec));
        return 0;
      }
      return spec.run(args, io);
    },
  };
}

const OPTION_COLUMN = 30;

function formatHelp<S extends OptionSpecs>(spec: CommandSpec<S>): string {
  const lines = [
    `Usage: ${spec.usage.map((u, i) => `${i === 0 ? '' : '       '}mqtt-testbench ${u}`).join('\n')}`,
    '',
    spec.description,
    '',
    'Options:',
  ];
  const entries: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : ''}`,
    `${option.description}${option.multiple ? ' (repeatable)' : ''}`,
  ]);
  entries.push(['-h, --help', 'print this help and exit']);
  for (const [left, right] of entries) {
    const [first, ...more] = right.split('\n');
    lines.push(
      left.length < OPTION_COLUMN - 2
        ? `  ${left.padEnd(OPTION_COLUMN - 2)}${first}`
        : `  ${left}\n${' '.repeat(OPTION_COLUMN)}${first}`,
    );
    for (const line of more) lines.push(`${' '.repeat(OPTION_COLUMN)}${line}`);
  }
  if (spec.examples && spec.examples.length > 0) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  if (spec.exitCodes) lines.push('', `Exit codes: ${spec.exitCodes}`);
  return lines.join('\n');
}
