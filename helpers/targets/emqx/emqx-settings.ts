import type { Settings, TargetSettingSpec } from '../../model/index.js';
import { targetSetting } from '../target-setting.js';

export const EMQX_IMAGE: TargetSettingSpec = {
  name: 'MQTT_TESTBENCH_EMQX_IMAGE',
  kind: 'image',
  defaultValue: 'emqx/emqx:5.8.8',
  defaultText: 'emqx/emqx:5.8.8',
  description: 'EMQX image (container runtime only; EMQX has no Debian package to build an offline image from).',
};

export function emqxImage(settings: Settings): string {
  return targetSetting(settings, EMQX_IMAGE) as string;
}
