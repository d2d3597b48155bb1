// @ts-check
// The one parser of /proc/<pid>/stat, in plain JS so the reaper (run standalone by the watchdog,
// without a TypeScript loader) and the TypeScript side (../proc.ts) share it.
import { readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc counts CPU time in 1/100 s on every common kernel config. */
export const MS_PER_TICK = 1000 / 100;

/**
 * @typedef {object} ProcStat
 * @property {number} pid
 * @property {number} ppid
 * @property {number} cpuMs User + system CPU time of the process itself, ms.
 * @property {string} startTicks Start time in clock ticks since boot (field 22), to tell a reused pid from the original.
 */

/**
 * Parses one /proc/<pid>/stat line; the command name (field 2) may contain spaces and parentheses.
 * @param {number} pid
 * @param {string} text
 * @returns {ProcStat | null}
 */
export function parseProcStat(pid, text) {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = fields[19];
  if (!Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime) || startTicks === undefined)
    return null;
  return { pid, ppid, cpuMs: (utime + stime) * MS_PER_TICK, startTicks };
}

/**
 * /proc/<pid>/stat of a process; null where it is gone or /proc is not readable (not Linux).
 * @param {number} pid
 * @returns {ProcStat | null}
 */
export function readProcStat(pid) {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
