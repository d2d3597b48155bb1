/**
 * The settings of the report layer (documented with every other setting in
 * helpers/config/settings.ts SETTING_SPECS). Read here, not in the shared loader, because the
 * reporter and the CLI need them without the rest of a run's configuration.
 */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'off'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface ReportSettings {
  /** Folder for reports. Default `reports`. */
  reportDir: string;
  /** report.json to compare with; undefined: no comparison. */
  baseline: string | undefined;
  /** Compare although the environments differ. Default false. */
  baselineForce: boolean;
  /** Tolerance file; undefined: fixtures/baselines/tolerances.json when present. */
  tolerancesFile: string | undefined;
  progress: ProgressMode;
  /** Interval of plain progress lines, ms. Default 10,000. */
  progressIntervalMs: number;
}

export class ReportSettingsError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

export function loadReportSettings(env: Env = process.env): ReportSettings {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const flag = (name: string): boolean => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined || ['0', 'false', 'no'].includes(value)) return false;
    if (['1', 'true', 'yes'].includes(value)) return true;
    problems.push(`${name}=${value} is not a flag: use 1 or 0.`);
    return false;
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
  const settings: ReportSettings = {
    reportDir: raw('MQTT_TESTBENCH_REPORT_DIR') ?? 'reports',
    baseline: raw('MQTT_TESTBENCH_BASELINE'),
    baselineForce: flag('MQTT_TESTBENCH_BASELINE_FORCE'),
    tolerancesFile: raw('MQTT_TESTBENCH_BASELINE_TOLERANCES'),
    progress: progressText as ProgressMode,
    progressIntervalMs: interval,
  };
  if (problems.length > 0) throw new ReportSettingsError(problems.join('\n'));
  return settings;
}
