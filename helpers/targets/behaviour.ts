import type { BehaviourKind, BrokerBehaviour, Documented } from '../model/index.js';

/** Where the MQTT specifications say what a broker must do (cited by spec-true entries). */
export const MQTT_311_SPEC = 'https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html';
export const MQTT_5_SPEC = 'https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html';

export function asSpec<T>(value: T, says: string, source: string): Documented<T> {
  return { value, kind: 'spec', says, source };
}

export function choice<T>(value: T, says: string, source: string): Documented<T> {
  return { value, kind: 'choice', says, source };
}

export function deviation<T>(value: T, says: string, source: string): Documented<T> {
  return { value, kind: 'deviation', says, source };
}

export function limit(says: string, source: string, value = 'see note'): Documented<string> {
  return { value, kind: 'limit', says, source };
}

/** `1.2.10` ≥ `1.2.9`; a version that is not dotted numbers (`unknown`, `latest`) is never at least anything. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parse = (v: string) => (/^\d+(\.\d+)*$/.test(v) ? v.split('.').map(Number) : undefined);
  const have = parse(version);
  const need = parse(minimum);
  if (!have || !need) return false;
  for (let i = 0; i < Math.max(have.length, need.length); i += 1) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The version an image reference pins (`rabbitmq:4.1.4-management` → `4.1.4`), or `unknown` for a floating tag. */
export function imageVersion(image: string): string {
  const tag = /:([^:/@]+)(@.*)?$/.exec(image)?.[1];
  return /^v?(\d+(?:\.\d+)*)/.exec(tag ?? '')?.[1] ?? 'unknown';
}

/** A behaviour table as rows (entry, value, kind, what it says, source), for reports. */
export function behaviourRows(
  behaviour: BrokerBehaviour,
): { entry: string; value: string; kind: BehaviourKind; says: string; source: string }[] {
  const { version: _version, limits, notes: _notes, ...entries } = behaviour;
  return [
    ...Object.entries(entries).map(([entry, documented]) => ({
      ...documented,
      entry,
      value: String(documented.value),
    })),
    ...limits.map((l) => ({ ...l, entry: 'limit' })),
  ];
}
