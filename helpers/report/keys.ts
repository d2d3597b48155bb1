/**
 * Identity of a measured scenario across runs, and the labels reports use for it. Two results
 * with the same key measure the same thing: repeats of one run are grouped by it, merged reports
 * add up by it, and a baseline is compared by it.
 */
import type { ResultSubject } from '../model/index.js';
import type { TestbenchResult } from './testbench-result.js';

/** `mosquitto (container)` or `mosquitto>emqx via reference (container)`. */
export function subjectLabel(subject: ResultSubject): string {
  return subject.kind === 'broker' ? `${subject.target} (${subject.runtime})` : `${subject.id} (${subject.runtime})`;
}

/** Short form without the runtime, for tables where the runtime is the same for every row. */
export function subjectName(subject: ResultSubject): string {
  return subject.kind === 'broker' ? subject.target : subject.id;
}

/** Product versions of the brokers a result ran against, as `name@version` (the version string already names the product). */
export function subjectTargetVersions(subject: ResultSubject): string[] {
  if (subject.kind === 'broker') return [`${subject.target}@${versionOnly(subject.version, subject.target)}`];
  return [
    `${subject.downstream}@${versionOnly(subject.versions.downstream, subject.downstream)}`,
    `${subject.upstream}@${versionOnly(subject.versions.upstream, subject.upstream)}`,
  ];
}

/** `mosquitto 2.0.11` → `2.0.11`; anything else unchanged. */
function versionOnly(version: string, product: string): string {
  return version.startsWith(`${product} `) ? version.slice(product.length + 1) : version;
}

export function protocolLabel(version: number | undefined): string {
  if (version === undefined) return '–';
  return version === 5 ? 'MQTT 5' : version === 4 ? 'MQTT 3.1.1' : `MQTT v${version}`;
}

/** suite | scenario | subject | v<protocol> | q<qos> (+ variant, + the QoS-matrix cell when there is one). */
export function resultKey(
  result: Pick<TestbenchResult, 'suite' | 'scenario' | 'subject' | 'protocolVersion' | 'qos' | 'qosCell' | 'variant'>,
): string {
  const parts = [
    result.suite,
    result.scenario,
    subjectLabel(result.subject),
    `v${result.protocolVersion ?? result.qosCell?.protocolVersion ?? '-'}`,
    `q${result.qos ?? '-'}`,
  ];
  if (result.variant) parts.push(result.variant);
  const cell = result.qosCell;
  if (cell) parts.push(`${cell.path} pub${cell.publishQos} sub${cell.subscribeQos}`);
  return parts.join(' | ');
}

/** Key of the scenario without the subject: results sharing it are compared side by side. */
export function scenarioKey(
  result: Pick<TestbenchResult, 'suite' | 'scenario' | 'protocolVersion' | 'qos' | 'variant'>,
): string {
  return [
    result.suite,
    result.scenario,
    `v${result.protocolVersion ?? '-'}`,
    `q${result.qos ?? '-'}`,
    ...(result.variant ? [result.variant] : []),
  ].join(' | ');
}
