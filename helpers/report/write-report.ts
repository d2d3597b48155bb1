/**
 * Writes a report to disk: report.json, report.md and report.html in the run's folder, a copy of
 * the whole folder in `<reportDir>/latest/`, and the Markdown appended to $GITHUB_STEP_SUMMARY.
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { TestbenchReport } from './report-types.js';

export const LATEST = 'latest';
/** GitHub refuses a step summary above 1 MiB; stay below it with room for other steps. */
export const STEP_SUMMARY_LIMIT_BYTES = 900 * 1024;

export interface WrittenFiles {
  json: string;
  markdown: string;
  html: string;
}

/** Writes report.json, report.md and report.html into `folder` (created when missing). */
export function writeReportFiles(report: TestbenchReport, folder: string): WrittenFiles {
  mkdirSync(folder, { recursive: true });
  const files = {
    json: join(folder, 'report.json'),
    markdown: join(folder, 'report.md'),
    html: join(folder, 'report.html'),
  };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, renderMarkdown(report));
  writeFileSync(files.html, renderHtml(report));
  return files;
}

/**
 * Replaces `<reportDir>/latest/` with a copy of the run's folder (files only; the folder is flat).
 * The copy is staged beside it and renamed into place, so runs that finish at the same moment (the
 * self-test's concurrent child runs, two runs in one checkout) never fail on each other's half-done
 * copy: when another run's latest/ took the place first, it is as recent as this one and stays.
 */
export function updateLatest(reportDir: string, runFolder: string): string {
  const latest = join(reportDir, LATEST);
  const staged = `${latest}.${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(staged, { recursive: true });
  try {
    for (const name of readdirSync(runFolder)) {
      const source = join(runFolder, name);
      if (statSync(source).isFile()) copyFileSync(source, join(staged, name));
    }
    rmSync(latest, { recursive: true, force: true });
    renameSync(staged, latest);
  } catch (error) {
    rmSync(staged, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  return latest;
}

/**
 * Appends the Markdown report to the GitHub Actions step summary when `$GITHUB_STEP_SUMMARY` is
 * set. A report above GitHub's size limit is cut at a section boundary with a pointer to the
 * full file.
 */
export function appendStepSummary(
  markdown: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const path = env['GITHUB_STEP_SUMMARY'];
  if (!path) return undefined;
  let text = markdown;
  if (Buffer.byteLength(text) > STEP_SUMMARY_LIMIT_BYTES) {
    const cut = text.lastIndexOf('\n## ', STEP_SUMMARY_LIMIT_BYTES - 400);
    text = `${text.slice(0, cut > 0 ? cut : STEP_SUMMARY_LIMIT_BYTES - 400)}\n\n> [!NOTE]\n> The report is longer than a step summary may be; the full report.md and report.html are in the uploaded reports artifact.\n`;
  }
  appendFileSync(path, `${text}\n`);
  return path;
}
