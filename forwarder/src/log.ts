// Structured logs: one JSON object per line on stderr, keys in the order
// time, level, msg, then the fields. stdout stays free for command output
// (--help, --validate-only).

import type { LogLevel } from './config/schema.js';

export type Fields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  isEnabled(level: LogLevel): boolean;
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go (each without the trailing newline added). Default: process.stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

function serializable(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? value.message : { message: value.message, code };
  }
  return value;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const threshold = SEVERITY[options.level];
  const emit = (level: LogLevel, msg: string, fields?: Fields) => {
    if (SEVERITY[level] < threshold) return;
    const record: Fields = { time: now().toISOString(), level, msg };
    if (fields) for (const [key, value] of Object.entries(fields)) record[key] = serializable(value);
    write(JSON.stringify(record));
  };
  return {
    level: options.level,
    isEnabled: (level) => SEVERITY[level] >= threshold,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/**
 * At most one line per key and interval; the next line carries how many were
 * suppressed in between (`suppressed`). For per-message errors.
 */
export type LimitedLog = (level: LogLevel, key: string, msg: string, fields?: Fields) => void;

export function rateLimited(logger: Logger, intervalMs: number, now: () => number = () => Date.now()): LimitedLog {
  const state = new Map<string, { lastAt: number; suppressed: number }>();
  return (level, key, msg, fields) => {
    const t = now();
    const entry = state.get(key);
    if (entry && t - entry.lastAt < intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    state.set(key, { lastAt: t, suppressed: 0 });
    logger[level](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  };
}
