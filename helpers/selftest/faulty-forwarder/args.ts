import { FAULTY_MODES, type FaultyMode, type ModeSpec } from './modes.js';

export const USAGE = `usage: node dist/selftest-faulty-forwarder.mjs --mode <${FAULTY_MODES.join('|')}> [--every N] <config.json>`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--mode <mode> [--every N] <config.json>`; a bad argument is a UsageError that names it. */
export function parseArgs(argv: readonly string[]): { spec: ModeSpec; configPath: string } {
  let mode: FaultyMode | undefined;
  let every: number | undefined;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--mode' || arg === '--every') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--mode') {
        if (!(FAULTY_MODES as readonly string[]).includes(value))
          throw new UsageError(`--mode ${value} is not a mode: use one of ${FAULTY_MODES.join(', ')}`);
        mode = value as FaultyMode;
      } else {
        every = Number(value);
        if (!Number.isInteger(every) || every < 1) throw new UsageError(`--every ${value} is not a whole number >= 1`);
      }
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (!mode) throw new UsageError('--mode is missing');
  if (positional.length !== 1)
    throw new UsageError(`expected one config file, got ${positional.length === 0 ? 'none' : positional.join(' ')}`);
  return { spec: { mode, ...(every !== undefined ? { every } : {}) }, configPath: positional[0] as string };
}
