import type { Settings, TargetSettingSpec } from '../model/index.js';

/** The value of a target's setting: what the environment set, else its declared default. */
export function targetSetting(settings: Settings, spec: TargetSettingSpec): string | undefined {
  return settings.targetSettings[spec.name] ?? spec.defaultValue;
}
