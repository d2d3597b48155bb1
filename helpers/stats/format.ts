/**
 * Number formatting shared by the Markdown, HTML and console renderers, so a figure reads the
 * same everywhere. Precision follows the size of the value: 0.412 ms, 4.12 ms, 41.2 ms, 412 ms.
 */

/** Microseconds as milliseconds with three significant digits (at least integer ms above 1 s). */
export function ms(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '–';
  const value = us / 1000;
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A ratio as a percentage: `0 %` when exactly zero, else three significant digits (`0.0150 %`). */
export function percent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  if (ratio === 0) return '0 %';
  const value = ratio * 100;
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} %`;
  return `${Number(value.toPrecision(3))} %`;
}

/** Integer counts and rates with thousands separators. */
export function count(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Math.round(value).toLocaleString('en-US');
}

/** Rates: integer msg/s with separators, one decimal below 10. */
export function rate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return Math.abs(value) < 10 ? value.toFixed(1) : count(value);
}

/** A signed relative change, e.g. `+12.5 %` or `−3.1 %`. */
export function signedPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const value = ratio * 100;
  const text =
    Math.abs(value) >= 100
      ? Math.abs(value).toFixed(0)
      : Math.abs(value)
          .toPrecision(3)
          .replace(/\.?0+$/, '');
  return `${value < 0 ? '−' : '+'}${text} %`;
}

/** Percentage points for loss deltas, e.g. `+0.05 pp`. */
export function signedPoints(delta: number): string {
  const value = delta * 100;
  return `${value < 0 ? '−' : '+'}${Number(Math.abs(value).toPrecision(3))} pp`;
}

/** Durations: `850 ms`, `12.3 s`, `4 min 05 s`. */
export function duration(msValue: number | undefined): string {
  if (msValue === undefined || !Number.isFinite(msValue)) return '–';
  if (msValue < 1000) return `${Math.round(msValue)} ms`;
  if (msValue < 60_000) return `${(msValue / 1000).toFixed(1)} s`;
  const minutes = Math.floor(msValue / 60_000);
  const seconds = Math.round((msValue % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** A gate value in its unit. */
export function gateValue(value: number, unit: string): string {
  if (unit === 'ratio') return percent(value);
  if (unit === 'ms') return `${ms(value * 1000)} ms`;
  if (unit === 'us' || unit === 'µs') return `${ms(value)} ms`;
  if (unit === 'msg/s') return `${rate(value)} msg/s`;
  return `${Number.isInteger(value) ? count(value) : value.toPrecision(4)} ${unit}`;
}

/** `12` or `12 (3 never acked)`: lost messages, and how many of them the broker never acknowledged. */
export function lostCell(c: { lost: number; lostUnacknowledged: number }): string {
  return c.lostUnacknowledged > 0 ? `${count(c.lost)} (${count(c.lostUnacknowledged)} never acked)` : count(c.lost);
}
