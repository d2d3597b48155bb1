/**
 * The generated sections of a Markdown document: each starts with a marker naming the figures
 * file it is rendered from (relative to the document's folder) and ends with `<!-- /figures -->`.
 * `report figures FILE --update DOC` rewrites one; a unit test checks that each is up to date.
 */

const SECTION = /<!-- figures: (\S+) [^>]*-->\n([\s\S]*?)<!-- \/figures -->/g;

export interface FiguresSection {
  /** The figures file as the marker names it, relative to the document's folder. */
  file: string;
  /** What stands between the two markers. */
  body: string;
}

/** The marker that starts the section generated from `file` (relative to the document's folder). */
export function sectionStart(file: string): string {
  return `<!-- figures: ${file} (generated from that file by "mqtt-testbench report figures"; do not edit) -->`;
}

export const SECTION_END = '<!-- /figures -->';

/** The body a section of rendered Markdown has between its markers. */
export function sectionBody(markdown: string): string {
  return `\n${markdown}\n`;
}

export function figuresSections(doc: string): FiguresSection[] {
  return [...doc.matchAll(SECTION)].map((m) => ({ file: m[1] as string, body: m[2] as string }));
}

/** `doc` with the body of the sections for `file` replaced by `markdown`; undefined when it has none. */
export function replaceFiguresSection(
  doc: string,
  matches: (file: string) => boolean,
  markdown: string,
): string | undefined {
  let found = false;
  const updated = doc.replace(SECTION, (whole, file: string) => {
    if (!matches(file)) return whole;
    found = true;
    return `${sectionStart(file)}\n${sectionBody(markdown)}${SECTION_END}`;
  });
  return found ? updated : undefined;
}
