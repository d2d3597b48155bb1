/**
 * Reads a report.json with errors that say what is wrong with the file: missing, not JSON, not a
 * mqtt-testbench report, a schemaVersion this version cannot read, or fields that do not match
 * the schema (with their paths).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { REPORT_SCHEMA_VERSION, type TestbenchReport } from './report-types.js';
import { reportSchema } from './schema.js';

export class ReportReadError extends Error {}

export function readReport(path: string): TestbenchReport {
  if (!existsSync(path)) throw new ReportReadError(`${path} does not exist.`);
  if (statSync(path).isDirectory()) throw new ReportReadError(`${path} is a folder: give the report.json inside it.`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ReportReadError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseReport(raw, path);
}

export function parseReport(raw: unknown, what: string): TestbenchReport {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ReportReadError(`${what} is not a mqtt-testbench report (not a JSON object).`);
  const record = raw as Record<string, unknown>;
  const generator = record['generator'] as { name?: unknown } | undefined;
  if (!('schemaVersion' in record) || generator?.name !== 'mqtt-testbench') {
    throw new ReportReadError(
      `${what} is not a mqtt-testbench report (no schemaVersion / generator "mqtt-testbench"); reports are written to reports/<run id>/report.json.`,
    );
  }
  if (record['schemaVersion'] !== REPORT_SCHEMA_VERSION) {
    throw new ReportReadError(
      `${what} has schemaVersion ${JSON.stringify(record['schemaVersion'])}; this mqtt-testbench reads schemaVersion ${REPORT_SCHEMA_VERSION}. Re-run the benchmark with this version, or use the mqtt-testbench version that wrote it.`,
    );
  }
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 8)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    const more = parsed.error.issues.length > 8 ? ` (and ${parsed.error.issues.length - 8} more)` : '';
    throw new ReportReadError(`${what} does not match the report schema: ${issues.join('; ')}${more}.`);
  }
  // The schema checked the shape; the loose objects kept every field, so the raw document is the report.
  return raw as TestbenchReport;
}
