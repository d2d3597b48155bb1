/**
 * The shape of report.json. A report is plain data: written by the vitest reporter at the end of a
 * run, read back by the CLI (merge, compare, render), validated by `report.schema.json`.
 *
 * `schemaVersion` changes only when a reader of the old shape would misread the new one (a field
 * removed, renamed or changed in meaning). Adding an optional field keeps the version: the schema
 * allows unknown properties everywhere, so older readers ignore what they do not know.
 */
import type { GateOutcome } from '../model/index.js';
import type { PhaseTotals } from '../stats/phase-clock.js';
import type { TestbenchResult, Verdict } from './testbench-result.js';

export const REPORT_SCHEMA_VERSION = 2;

export interface TestbenchReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generator: { name: 'mqtt-testbench'; version: string };
  run: RunInfo;
  environment: EnvironmentInfo;
  targets: TargetEntry[];
  forwarders: ForwarderEntry[];
  topologies: TopologyEntry[];
  /** One entry per measured scenario (repeats of one scenario are grouped into one entry, see `repeats`). */
  results: ReportResult[];
  tests: TestCounts;
  /** Every skipped test of the run with the reason it gave. */
  skipped: SkippedTest[];
  /** Every failed test (also those that attached a result: their result carries the verdict). */
  failures: FailedTest[];
  /** Present when the run was compared with a baseline. */
  baseline?: BaselineSection;
  /** Where the run's time went: every test file (both projects), slowest first. */
  timing?: { files: FileTiming[] };
  /** Overall verdict: fail when a test failed, an unhandled error happened, or the baseline comparison failed. */
  verdict: Verdict;
}

/** One test file's time, and (for files that mark them) its time per phase (helpers/stats/phase-clock.ts). */
export interface FileTiming {
  file: string;
  project: string;
  /** Tests and hooks of the file, ms. */
  durationMs: number;
  /** When the file began, ms after the run began: with durationMs, the run's timeline and critical path. */
  beganMs?: number;
  phases?: PhaseTotals;
}

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  profile: string;
  strict: boolean;
  /** The command line that started the run. */
  command: string;
  /** vitest's end state of the run. */
  state: 'passed' | 'failed' | 'interrupted';
  /** Errors outside any test (global setup, unhandled rejections). */
  errors: string[];
  /** When this report was merged from several reports: the inputs. */
  mergedFrom?: MergedInput[];
}

export interface MergedInput {
  runId: string;
  file: string;
  startedAt: string;
  fingerprint: string;
}

export interface EnvironmentInfo {
  /** The runtime the brokers ran in and why it was chosen (`unknown` when the run plan is missing). */
  runtime: { kind: string; reason: string };
  docker: { ok: true; serverVersion: string; host: string } | { ok: false; reason: string };
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  profile: string;
  ci: boolean;
  /** GitHub Actions context when the run happened there. */
  github?: { repository: string; sha: string; runId: string; workflow: string; ref: string };
  /** What must be equal for two runs to be compared (see baseline.ts). */
  fingerprint: EnvironmentFingerprint;
}

export interface EnvironmentFingerprint {
  /** Short stable id, also the default baseline file name. */
  id: string;
  runtime: string;
  cpus: number;
  profile: string;
  /** `target@version` for every broker a result ran against, sorted. */
  targetVersions: string[];
}

export type EntryStatus = 'ran' | 'skipped';

export interface TargetEntry {
  name: string;
  runtime: string;
  status: EntryStatus;
  reason?: string;
  detail?: string;
  /** Versions the broker reported in this run's results (empty when none ran). */
  versions: string[];
  behaviour?: TargetBehaviourEntry;
}

/** One row of a target's behaviour table: what the broker documents, and where. */
export interface BehaviourTableRow {
  /** The entry, e.g. `maxQos`, `qos2Publish`, `limit`. */
  entry: string;
  value: string;
  /** `choice` (the spec leaves it open), `deviation` (from the spec), `limit`. */
  kind: string;
  says: string;
  /** Link to the broker's documentation. */
  source: string;
}

export interface TargetBehaviourEntry {
  queuesQos0WhileOffline: boolean;
  mqtt5: boolean;
  notes: string[];
  /** Version the table is for (absent in reports of older versions). */
  version?: string;
  /** The whole table (absent in reports of older versions). */
  table?: BehaviourTableRow[];
}

export interface ForwarderEntry {
  spec: string;
  kind: string;
  name: string;
  status: EntryStatus;
  reason?: string;
  declaration: Record<string, unknown>;
}

export interface TopologyEntry {
  id: string;
  downstream: string;
  upstream: string;
  forwarder: string;
  runtime: string;
  status: EntryStatus;
  reason?: string;
}

export type TestState = 'passed' | 'failed' | 'skipped' | 'pending';

/** The vitest test a result came from. */
export interface TestRef {
  name: string;
  /** Suites and test name joined with ` > `. */
  fullName: string;
  /** Path relative to the project root. */
  file: string;
  project: string;
  state: TestState;
  durationMs: number;
  /** First error message of a failed test. */
  error?: string;
  /** vitest `repeats` / `retry` of the test. */
  repeatCount?: number;
  retryCount?: number;
}

/** Key figures of one run of a scenario; repeated runs keep one each, so medians and spread can be shown. */
export interface RepeatFigures {
  runId: string;
  sent?: number;
  received?: number;
  lost?: number;
  duplicates?: number;
  lossRate?: number;
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  p99_9Us?: number;
  maxUs?: number;
  publishPerSec?: number;
  receivePerSec?: number;
  durationMs?: number;
}

export interface ReportResult extends TestbenchResult {
  /** Stable identity across runs: suite | scenario | subject | protocol | QoS (see keys.ts). */
  key: string;
  test: TestRef;
  /** fail: the test failed or a gate failed; skip: the test was skipped; else pass. */
  verdict: Verdict;
  /** Why the verdict is fail, in one line. */
  verdictReason?: string;
  /** Present when the scenario ran more than once (vitest repeats, or merged reports): one entry per run. */
  repeats?: RepeatFigures[];
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  /** Tests that attached at least one result. */
  measured: number;
}

export interface SkippedTest {
  test: TestRef;
  reason: string;
}

export interface FailedTest {
  test: TestRef;
  error: string;
  /** Whether the test attached a result before failing. */
  measured: boolean;
}

// --- baseline comparison -----------------------------------------------------------------------

export type ComparedFigure = 'p50Us' | 'p99Us' | 'receivePerSec' | 'lossRate';

/** Median and spread of a figure over the runs of a scenario. */
export interface FigureSample {
  median: number;
  min: number;
  max: number;
  n: number;
}

export type FigureStatus = 'ok' | 'improved' | 'regressed' | 'untrusted';

export interface FigureComparison {
  figure: ComparedFigure;
  baseline: FigureSample;
  current: FigureSample;
  /** current.median - baseline.median. */
  delta: number;
  /** delta / baseline.median (null when the baseline is 0). */
  deltaRel: number | null;
  /** The value beyond which the current median counts as a regression. */
  limit: number;
  /** How the limit was derived, e.g. `+25 % of 1.20 ms, at least the baseline's slowest run`. */
  rule: string;
  status: FigureStatus;
}

export interface ScenarioComparison {
  key: string;
  suite: string;
  scenario: string;
  variant?: string;
  subject: string;
  protocolVersion?: number;
  qos?: number;
  figures: FigureComparison[];
  status: FigureStatus;
  /**
   * The baseline run's harness was saturated: its timing figures are pessimistic, so this
   * comparison is lenient (a regression still shows; an improvement is not claimed). Re-save it.
   */
  baselineSaturated?: boolean;
}

export interface Tolerances {
  /** Relative increase of the p50 latency median that counts as a regression (0.25 = +25 %). */
  latencyP50Rel: number;
  /** Relative increase of the p99 latency median that counts as a regression. */
  latencyP99Rel: number;
  /** A latency change smaller than this many µs is never a regression (timer and scheduler noise). */
  latencySlackUs: number;
  /** Relative decrease of the receive throughput median that counts as a regression (0.15 = −15 %). */
  throughputRel: number;
  /** Absolute increase of the loss rate that counts as a regression (0.001 = +0.1 percentage points). */
  lossAbs: number;
}

export interface BaselineSection {
  file: string;
  runId: string;
  fingerprint: EnvironmentFingerprint;
  /** Differences between the two environments (empty when they match). */
  fingerprintDifferences: string[];
  forced: boolean;
  tolerances: Tolerances;
  /** Where the tolerances came from. */
  tolerancesSource: string;
  comparisons: ScenarioComparison[];
  /** Keys in the baseline that this run did not measure. */
  missing: string[];
  /** Keys this run measured that the baseline does not have. */
  added: string[];
  regressions: number;
  /** Timing figures beyond tolerance in a run whose harness was saturated by itself or other work (status untrusted). */
  inconclusive?: number;
  /**
   * pass; fail: a regression beyond tolerance; refused: the environments differ and the comparison
   * was not forced; inconclusive: no regression, but timing figures beyond tolerance that a
   * saturated harness may have caused.
   */
  verdict: 'pass' | 'fail' | 'refused' | 'inconclusive';
  message: string;
}

export type { GateOutcome, TestbenchResult, Verdict };
