/**
 * QoS grids: the 3×3 publish QoS × subscribe QoS tables of the QoS-matrix suite, one per subject,
 * path (direct or forwarded) and protocol version, built from the results that carry a `qosCell`.
 */
import { subjectLabel } from './keys.js';
import type { ReportResult } from './report-types.js';
import type { Verdict } from './result.js';

export interface QosGridCell {
  expected: number;
  observed: number[];
  /** The observed QoS is exactly the expected one and the test passed. */
  ok: boolean;
  verdict: Verdict;
  sent: number;
  received: number;
  duplicates: number;
  lost: number;
  expectation: string;
  verdictReason?: string;
  /** First line of the test's error when it failed. */
  error?: string;
}

type Row = [QosGridCell | undefined, QosGridCell | undefined, QosGridCell | undefined];

export interface QosGrid {
  subject: string;
  path: 'direct' | 'forwarded';
  protocolVersion: 4 | 5;
  /** The expectation rule when every cell shares one (e.g. `min(pub, sub)`). */
  expectation?: string;
  /** cells[publishQos][subscribeQos]. */
  cells: [Row, Row, Row];
}

export function qosGrids(results: readonly ReportResult[]): QosGrid[] {
  const grids = new Map<string, QosGrid>();
  for (const r of results) {
    const cell = r.qosCell;
    if (!cell) continue;
    const subject = subjectLabel(r.subject);
    const id = `${subject}|${cell.path}|${cell.protocolVersion}`;
    let grid = grids.get(id);
    if (!grid) {
      grid = {
        subject,
        path: cell.path,
        protocolVersion: cell.protocolVersion,
        cells: [
          [undefined, undefined, undefined],
          [undefined, undefined, undefined],
          [undefined, undefined, undefined],
        ],
      };
      grids.set(id, grid);
    }
    const observed = [...new Set(cell.observedQos)].sort((a, b) => a - b);
    const entry: QosGridCell = {
      expected: cell.expectedQos,
      observed,
      ok: r.verdict === 'pass' && observed.length === 1 && observed[0] === cell.expectedQos,
      verdict: r.verdict,
      sent: cell.counters.sent,
      received: cell.counters.received,
      duplicates: cell.counters.duplicates,
      lost: cell.counters.lost,
      expectation: cell.expectation,
    };
    if (r.verdictReason) entry.verdictReason = r.verdictReason;
    const error = r.test.error?.split('\n')[0];
    if (error) entry.error = error.length > 160 ? `${error.slice(0, 159)}…` : error;
    grid.cells[cell.publishQos][cell.subscribeQos] = entry;
  }
  for (const grid of grids.values()) {
    const expectations = new Set(
      grid.cells
        .flat()
        .filter((c): c is QosGridCell => c !== undefined)
        .map((c) => c.expectation),
    );
    const [only] = expectations;
    if (expectations.size === 1 && only !== undefined) grid.expectation = only;
  }
  return [...grids.values()].sort(
    (a, b) =>
      a.subject.localeCompare(b.subject) || a.path.localeCompare(b.path) || a.protocolVersion - b.protocolVersion,
  );
}
