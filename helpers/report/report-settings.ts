/**
 * The settings of the report layer (documented with every other setting in
 * helpers/config/settings.ts SETTING_SPECS). Read here, not in the shared loader, because the
 * reporter and the CLI need them without the rest of a run's configuration.
 */
import { readProgressSettings, type ProgressSettings } from '../load/progress-settings.js';

export interface ReportSettings extends ProgressSettings {
  /** Folder for reports. Default `reports`. */
  reportDir: string;
  /** report.json to compare with; undefined: no comparison. */
  baseline: string | undefined;
  /** Compare although the environments differ. Default false. */
  baselineForce: boolean;
  /** Tolerance file; undefined: fixtures/baselines/tolerances.json when present. */
  tolerancesFile: string | undefined;
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
  const progress = readProgressSettings(env, problems);
  const settings: ReportSettings = {
    reportDir: raw('MQTT_TESTBENCH_REPORT_DIR') ?? 'reports',
    baseline: raw('MQTT_TESTBENCH_BASELINE'),
    baselineForce: flag('MQTT_TESTBENCH_BASELINE_FORCE'),
    tolerancesFile: raw('MQTT_TESTBENCH_BASELINE_TOLERANCES'),
    ...progress,
  };
  if (problems.length > 0) throw new ReportSettingsError(problems.join('\n'));
  return settings;
}
