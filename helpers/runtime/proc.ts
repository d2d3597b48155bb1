/**
 * The one reader of /proc (Linux): process CPU time, parent, start time, resident memory, CPU time
 * of a whole process tree, and the machine's busy time (the /proc/<pid>/stat parser is in
 * proc-stat.mjs, shared with the reaper). Every function returns null (or
 * undefined) where /proc is not readable: other systems, or a process that is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { MS_PER_TICK, readProcStat, type ProcStat } from './proc-stat.mjs';

export { parseProcStat, readProcStat, type ProcStat } from './proc-stat.mjs';

/** CPU time (user + system) a process has used so far, in ms. */
export function processCpuMs(pid: number): number | null {
  return readProcStat(pid)?.cpuMs ?? null;
}

/** Start time of a process in clock ticks since boot, to detect pid reuse. */
export function processStartTicks(pid: number): string | undefined {
  return readProcStat(pid)?.startTicks;
}

/** Resident set size of a process in bytes; null where it is gone or /proc is not readable. */
export function processRssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time of the processes rooted at `roots` and all their descendants alive now, ms (e.g. a
 * broker behind a wrapper script, or a container's init and its children). null when /proc is not
 * readable or no root is alive.
 */
export function processTreeCpuMs(roots: readonly number[]): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const children = new Map<number, ProcStat[]>();
  const byPid = new Map<number, ProcStat>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (!stat) continue;
    byPid.set(stat.pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  let total = 0;
  let found = false;
  const pending = roots.map((pid) => byPid.get(pid)).filter((stat): stat is ProcStat => stat !== undefined);
  const seen = new Set<number>();
  while (pending.length > 0) {
    const stat = pending.pop() as ProcStat;
    if (seen.has(stat.pid)) continue;
    seen.add(stat.pid);
    found = true;
    total += stat.cpuMs;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return found ? total : null;
}

/** The machine's CPU time since boot over all cores, ms: busy (everything but idle and iowait) and total. */
export function machineCpuMs(): { busyMs: number; totalMs: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) return null;
    const total = ticks.reduce((sum, t) => sum + t, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busyMs: (total - idle) * MS_PER_TICK, totalMs: total * MS_PER_TICK };
  } catch {
    return null;
  }
}
