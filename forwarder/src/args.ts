// Command line parsing (pure).

export const VERSION = '0.1.0';

export const USAGE = `Usage: mqtt-forwarder [-c FILE | --config=FILE] [--validate-only]
       mqtt-forwarder -h | --help | --version

Copies MQTT messages between brokers according to the rules in a JSON config.

Options:
  -c, --config FILE   config file (default: ./config.json, then /etc/mqtt-forwarder.json)
  --validate-only     check the config, print a one-line summary, exit
  -h, --help          show this help
  --version           print the version

Environment:
  LOG_LEVEL           debug | info | warn | error; overrides "log_level"

Exit codes: 0 ok / clean shutdown, 1 runtime failure, 2 invalid config or arguments.
Logs: one JSON object per line on stderr. See forwarder/README.md.`;

export type Command =
  | { kind: 'run'; config: string | undefined; validateOnly: boolean }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage-error'; message: string };

export function parseArgs(argv: readonly string[]): Command {
  let config: string | undefined;
  let validateOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (arg === '--validate-only') {
      validateOnly = true;
    } else if (arg === '-c' || arg === '--config') {
      const value = argv[i + 1];
      if (value === undefined || value === '') return { kind: 'usage-error', message: `${arg} needs a file name` };
      config = value;
      i++;
    } else if (arg.startsWith('--config=') || arg.startsWith('-c=')) {
      config = arg.slice(arg.indexOf('=') + 1);
      if (config === '') return { kind: 'usage-error', message: `${arg} needs a file name` };
    } else {
      return { kind: 'usage-error', message: `unknown argument "${arg}"` };
    }
  }
  return { kind: 'run', config, validateOnly };
}
