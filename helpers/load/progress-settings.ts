/**
 * The progress settings (documented with every other setting in helpers/config/settings.ts
 * SETTING_SPECS). The load engine reads them for its progress lines; the report layer validates
 * them with its own (helpers/report/settings.ts) when the reporter starts.
 */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'off'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface ProgressSettings {
  progress: ProgressMode;
  /** Interval of plain progress lines, ms. Default 10,000. */
  progressIntervalMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads MQTT_TESTBENCH_PROGRESS and MQTT_TESTBENCH_PROGRESS_INTERVAL_MS; what is wrong with them goes to `problems`. */
export function readProgressSettings(env: Env, problems: string[]): ProgressSettings {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const progressText = raw('MQTT_TESTBENCH_PROGRESS') ?? 'auto';
  if (!(PROGRESS_MODES as readonly string[]).includes(progressText))
    problems.push(`MQTT_TESTBENCH_PROGRESS=${progressText} is not allowed: use one of ${PROGRESS_MODES.join(', ')}.`);
  const intervalText = raw('MQTT_TESTBENCH_PROGRESS_INTERVAL_MS');
  const interval = intervalText === undefined ? 10_000 : Number(intervalText);
  if (!Number.isInteger(interval) || interval < 100 || interval > 3_600_000)
    problems.push(
      `MQTT_TESTBENCH_PROGRESS_INTERVAL_MS=${intervalText ?? ''} is not allowed: use an integer between 100 and 3600000.`,
    );
  return { progress: progressText as ProgressMode, progressIntervalMs: interval };
}
