import { targetSettingsOf } from './catalog.js';
import { TARGETS } from './registry.js';

/** Markers around the target table of docs/targets.md, which is this module's output (a unit test checks it). */
export const TARGET_TABLE_START = '<!-- target table: generated from helpers/targets/registry.ts -->';
export const TARGET_TABLE_END = '<!-- end of target table -->';

/** The README's target table, one row per registry line: name, runtimes, settings, what it is. */
export function targetTable(): string {
  return [
    '| target | runtimes | settings | what runs |',
    '| --- | --- | --- | --- |',
    ...TARGETS.map(
      (t) =>
        `| \`${t.name}\` | ${t.runtimes.join(', ')} | ${
          targetSettingsOf(t.name)
            .map((s) => `\`${s.name}\``)
            .join(', ') || '–'
        } | ${t.summary}${t.pairings.length > 0 ? `; mixed topologies: ${t.pairings.map(([down, up]) => `${down} → ${up}`).join(', ')}` : ''} |`,
    ),
  ].join('\n');
}
