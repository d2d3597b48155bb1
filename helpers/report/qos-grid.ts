/**
 * QoS grids: the 3×3 publish QoS × subscribe QoS tables of the QoS-matrix suite, one per subject,
 * path (direct or forwarded) and protocol version, built from the results that carry a `qosCell`.
 */
import { subjectLabel } from './keys.js';
import type { ReportResult } from './report-types.js';
import type { QosCellAnnotation, Verdict } from './testbench-result.js';

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
  /** QoS the SUBACK granted, when known. */
  granted?: number;
  /** A grant below the request that the broker documents, or a declared deviation and its consequence. */
  annotations: QosCellAnnotation[];
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
      annotations: cell.annotations ?? [],
    };
    if (typeof cell.grantedQos === 'number') entry.granted = cell.grantedQos;
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

/**
 * The distinct annotations of a grid's cells, numbered in reading order for footnotes (`¹`), each
 * with the cells it applies to (`pub 0, 1, 2 / sub 2`).
 */
export function gridNotes(grid: QosGrid): { mark: string; where: string; annotation: QosCellAnnotation }[] {
  const notes: { mark: string; cells: [number, number][]; annotation: QosCellAnnotation }[] = [];
  for (const pub of [0, 1, 2] as const)
    for (const sub of [0, 1, 2] as const)
      for (const annotation of grid.cells[pub][sub]?.annotations ?? []) {
        let note = notes.find((n) => sameAnnotation(n.annotation, annotation));
        if (!note) {
          note = { mark: noteMark(notes.length + 1), cells: [], annotation };
          notes.push(note);
        }
        note.cells.push([pub, sub]);
      }
  return notes.map(({ mark, cells, annotation }) => ({ mark, where: describeCells(cells), annotation }));
}

/** The footnote marks of one cell, in the numbering gridNotes uses. */
export function cellMarks(grid: QosGrid, pub: 0 | 1 | 2, sub: 0 | 1 | 2): string {
  const own = grid.cells[pub][sub]?.annotations ?? [];
  return gridNotes(grid)
    .filter((n) => own.some((a) => sameAnnotation(a, n.annotation)))
    .map((n) => n.mark)
    .join('');
}

function sameAnnotation(a: QosCellAnnotation, b: QosCellAnnotation): boolean {
  return a.kind === b.kind && a.text === b.text && a.source === b.source;
}

/** `pub 2 / sub 2`, `pub 0, 1, 2 / sub 2`, or a list of pairs when neither side is shared. */
function describeCells(cells: readonly [number, number][]): string {
  const pubs = [...new Set(cells.map(([p]) => p))];
  const subs = [...new Set(cells.map(([, q]) => q))];
  if (subs.length === 1) return `pub ${pubs.join(', ')} / sub ${subs[0]}`;
  if (pubs.length === 1) return `pub ${pubs[0]} / sub ${subs.join(', ')}`;
  return cells.map(([p, q]) => `pub ${p} / sub ${q}`).join('; ');
}

const SUPERSCRIPTS = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

function noteMark(n: number): string {
  return [...String(n)].map((d) => SUPERSCRIPTS[Number(d)]).join('');
}
