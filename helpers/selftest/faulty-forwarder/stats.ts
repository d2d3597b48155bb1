import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultyMode } from './modes.js';

/**
 * What one faulty forwarder process did, per topic: the self-test compares these figures with what
 * the suites counted. Written as `<dir>/<mode>-<pid>.json` into the folder named by
 * STATS_DIR_ENV (when set), within STATS_WRITE_DELAY_MS of each change and at exit.
 */
export const STATS_DIR_ENV = 'MQTT_TESTBENCH_FAULTY_FORWARDER_STATS';
const STATS_WRITE_DELAY_MS = 50;
const SAMPLE_LIMIT = 20;

export type StatsFigure =
  'received' | 'forwarded' | 'dropped' | 'duplicated' | 'reordered' | 'qosChanged' | 'retainStripped';

export type TopicFigures = Partial<Record<StatsFigure, number>>;

export interface FaultyForwarderStats {
  mode: FaultyMode;
  /** e.g. `drop: every 50th message on a topic is acknowledged and never forwarded`. */
  description: string;
  pid: number;
  /** The source broker resumed this process's session (it was started again after a kill). */
  resumedSession: boolean;
  totals: TopicFigures;
  topics: Record<string, TopicFigures>;
  /** Up to 20 descriptions of what the mode did, e.g. `dropped QoS 1 message #50 on a/b`. */
  samples: string[];
}

/** The stats folder from the environment: undefined when unset; an error naming the variable when it is not a folder. */
export function statsDirFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env[STATS_DIR_ENV];
  if (dir === undefined || dir === '') return undefined;
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`${STATS_DIR_ENV}=${dir} is not a folder: create it, or unset the variable to write no stats.`);
  return dir;
}

export class StatsRecorder {
  private readonly stats: FaultyForwarderStats;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    mode: FaultyMode,
    description: string,
    private readonly dir: string | undefined,
  ) {
    this.stats = { mode, description, pid: process.pid, resumedSession: false, totals: {}, topics: {}, samples: [] };
  }

  get snapshot(): Readonly<FaultyForwarderStats> {
    return this.stats;
  }

  sessionResumed(): void {
    this.stats.resumedSession = true;
    this.changed();
  }

  /** Adds to a figure of a topic; returns the topic's new value. */
  count(figure: StatsFigure, topic: string, by = 1): number {
    const perTopic = (this.stats.topics[topic] ??= {});
    const value = (perTopic[figure] ?? 0) + by;
    perTopic[figure] = value;
    this.stats.totals[figure] = (this.stats.totals[figure] ?? 0) + by;
    this.changed();
    return value;
  }

  hit(kind: Exclude<StatsFigure, 'received' | 'forwarded'>, topic: string, sample: string): void {
    this.count(kind, topic);
    if (this.stats.samples.length < SAMPLE_LIMIT) this.stats.samples.push(sample);
  }

  /** One line for the log, e.g. `received 210, forwarded 206, dropped 4`. */
  summary(): string {
    const figures = Object.entries(this.stats.totals).map(([name, value]) => `${name} ${value}`);
    return figures.length > 0 ? figures.join(', ') : 'nothing received';
  }

  /** Writes the file now (at exit); later changes are written within 50 ms. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dir) return;
    const path = join(this.dir, `${this.stats.mode}-${this.stats.pid}.json`);
    // Written whole, then renamed: a reader never sees half a file.
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.stats, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  private changed(): void {
    if (!this.dir || this.timer) return;
    this.timer = setTimeout(() => this.flush(), STATS_WRITE_DELAY_MS);
    this.timer.unref();
  }
}

/** Every stats file in `dir` (one per forwarder process: a restart adds one). */
export function readFaultyForwarderStats(dir: string): FaultyForwarderStats[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as FaultyForwarderStats);
}

/** A figure summed over processes, on the topics `topic` accepts. */
export function sumFigure(
  stats: readonly FaultyForwarderStats[],
  figure: StatsFigure,
  topic: (topic: string) => boolean,
): number {
  let sum = 0;
  for (const process of stats)
    for (const [name, figures] of Object.entries(process.topics)) if (topic(name)) sum += figures[figure] ?? 0;
  return sum;
}
