/**
 * The figures in docs/ are generated: every section between "<!-- figures: FILE ... -->" and
 * "<!-- /figures -->" must be exactly what `report figures FILE` renders from the committed
 * figures file, and every committed figures file must be shown somewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { figuresSections, sectionBody } from './figures-section.js';
import { renderKeyFigures } from './key-figures.js';
import { readFiguresInput } from './report-figures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const FIGURES = join(DOCS, 'figures');

const documents = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(DOCS, f));
const sections = documents.flatMap((doc) =>
  figuresSections(readFileSync(doc, 'utf8')).map((section) => ({
    doc: relative(ROOT, doc),
    figuresFile: join(dirname(doc), section.file),
    ...section,
  })),
);

describe('generated figures in docs/', () => {
  test('docs/benchmarks.md shows figures from at least one committed figures file', () => {
    expect(sections.filter((s) => s.doc === 'docs/benchmarks.md').length).toBeGreaterThan(0);
  });

  test.each(sections.map((s) => [s.doc, s.file, s] as const))(
    '%s: the section from %s is what report figures renders',
    (doc, file, section) => {
      expect(existsSync(section.figuresFile), `${doc} names ${file}, which does not exist`).toBe(true);
      const read = readFiguresInput(section.figuresFile, file);
      expect(read.kind, `${file} is a report; commit its figures (report figures REPORT --json)`).toBe('figures');
      if (read.kind !== 'figures') return;
      const shown = relative(ROOT, section.figuresFile);
      expect(
        section.body,
        `${doc} differs from ${file}: run "npx mqtt-testbench report figures ${shown} --update ${doc}"`,
      ).toBe(sectionBody(renderKeyFigures(read.figures)));
    },
  );

  test('every committed figures file is shown in a document', () => {
    const committed = existsSync(FIGURES) ? readdirSync(FIGURES).filter((f) => f.endsWith('.json')) : [];
    const shown = new Set(sections.map((s) => relative(FIGURES, s.figuresFile)));
    expect(committed.filter((f) => !shown.has(f))).toEqual([]);
  });
});
