/**
 * The `mqtt-testbench` command: finds the subcommand and turns bad input into exit 2 with a
 * message that names what was wrong. Exit codes: 0 pass; 1 a verdict failed (a test, a gate, a
 * baseline) or the run could not complete; 2 bad input, reported before anything starts. Nothing
 * here imports vitest: bench, test and flake start it as a process.
 */
import { ConfigError } from '../config/errors.js';
import { ShardMergeError } from '../load/shard/merge-shards.js';
import { ShardFileError } from '../load/shard/shard-file.js';
import { MergeError } from '../report/merge.js';
import { ReportReadError } from '../report/read-report.js';
import { ReportSettingsError } from '../report/report-settings.js';
import { UsageError } from './args.js';
import { benchCommand } from './bench.js';
import type { CliCommand, CliIo } from './command.js';
import { flakeCommand } from './flake.js';
import { reportFiguresCommand } from './report-figures.js';
import { loadCommand } from './load-command.js';
import { baselineSaveCommand, compareCommand, mergeCommand, reportRenderCommand, schemaCommand } from './reports.js';
import { closest } from './suggest.js';
import { testCommand } from './test.js';
import { packageVersion } from './vitest-child.js';

export type { CliIo } from './command.js';
export { DEFAULT_BASELINE_DIR, SCHEMA_FILE } from './reports.js';

export const COMMANDS: readonly CliCommand[] = [
  testCommand,
  benchCommand,
  loadCommand,
  baselineSaveCommand,
  compareCommand,
  mergeCommand,
  reportRenderCommand,
  reportFiguresCommand,
  schemaCommand,
  flakeCommand,
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 'help [COMMAND]'.length) + 2;
  return `mqtt-testbench: a test suite that is also a benchmark for MQTT brokers and forwarders

Usage: mqtt-testbench <command> [options]      mqtt-testbench <command> --help

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}
  ${'help [COMMAND]'.padEnd(width)}this help, or a command's

Options: -h, --help (also after any command), -v, --version

Exit codes: 0 pass; 1 a verdict failed (a test, a gate, a baseline) or the run could not
complete; 2 bad input (an option, a file, an MQTT_TESTBENCH_* variable), before anything starts;
load with gate options: 3 a threshold was broken, 4 inconclusive (see load --help).

Settings: MQTT_TESTBENCH_* environment variables (docs/configuration.md); options win.`;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  let name = '';
  try {
    if (first === undefined) {
      io.err(mainHelp());
      return 2;
    }
    if (first === '--help' || first === '-h') {
      io.out(mainHelp());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.out(packageVersion());
      return 0;
    }
    if (first === 'help') {
      if (rest.length === 0) {
        io.out(mainHelp());
        return 0;
      }
      const { command } = findCommand(rest);
      io.out(command.help());
      return 0;
    }
    const { command, args } = findCommand(argv);
    name = command.name;
    return await command.run(args, io);
  } catch (error) {
    // A shard that is missing or failed: the run is incomplete (exit 1); shards that do not belong together: bad input.
    if (error instanceof ShardMergeError) {
      io.err(`mqtt-testbench${name ? ` ${name}` : ''}: ${error.message}`);
      return error.exitCode;
    }
    const message = badInputMessage(error);
    if (message === undefined) throw error;
    io.err(
      `mqtt-testbench${name ? ` ${name}` : ''}: ${message}\nRun "mqtt-testbench ${name ? `${name} ` : ''}--help" for usage.`,
    );
    return 2;
  }
}

/** The command named by the first one or two words of `argv`, and the arguments after them. */
function findCommand(argv: readonly string[]): { command: CliCommand; args: readonly string[] } {
  const [first = '', second] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second ?? ''}`);
  if (two) return { command: two, args: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { command: one, args: argv.slice(1) };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0) {
    // `baseline --help` is the help of its only subcommand; `baseline sav` gets a suggestion.
    if (group.length === 1 && (second === '--help' || second === '-h'))
      return { command: group[0] as CliCommand, args: argv.slice(1) };
    const names = group.map((c) => c.name);
    const typed = `${first} ${second ?? ''}`.trim();
    const hint = second === undefined ? undefined : closest(typed, names);
    throw new UsageError(
      `${first} needs a subcommand: ${names.map((n) => `"${n}"`).join(', ')}${second === undefined ? '' : `, not "${second}"`}${hint ? `; did you mean "${hint}"?` : '.'}`,
    );
  }
  const hint = closest(first, [...COMMANDS.map((c) => c.name.split(' ')[0] as string), 'help']);
  throw new UsageError(
    `unknown command "${first}"${hint ? `; did you mean "${hint}"?` : '.'} The commands: ${[...new Set(COMMANDS.map((c) => c.name))].join(', ')}.`,
  );
}

/** The message of an error that is the user's input, not the program's fault; undefined otherwise. */
function badInputMessage(error: unknown): string | undefined {
  if (
    error instanceof UsageError ||
    error instanceof ReportReadError ||
    error instanceof MergeError ||
    error instanceof ShardFileError
  )
    return error.message;
  if (error instanceof ReportSettingsError) return error.message;
  if (error instanceof ConfigError) return error.message;
  return undefined;
}
