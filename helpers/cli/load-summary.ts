/**
 * The summary `load` prints: one plain object (`--json`, versioned by `schemaVersion`) and its
 * human form. A figure that was not measured is null, never 0: with no subscribers nothing about
 * delivery is known, at QoS 0 nothing is acknowledged. Counters cover every message, warm-up
 * included (a warm-up message that never arrives is lost all the same); rates and latencies cover
 * the measured messages only, and `warmup` says how many were not measured.
 */
import { type CpuShares, describeCpuShares } from '../stats/cpu-shares.js';
import type { GateOutcome } from '../model/index.js';
import type { LatencyReport, LoadResult } from '../load/types.js';
import { describeBrokenGates } from '../gates/evaluate.js';
import { count, ms, rate } from '../stats/format.js';
import { EXIT_INCONCLUSIVE, EXIT_THRESHOLD_BROKEN, type LoadVerdict } from './load-gates.js';

/** Bumped when a field is removed, renamed or changes meaning; adding one keeps it. */
export const LOAD_SUMMARY_SCHEMA_VERSION = 1;

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
}

export interface LoadSummary {
  schemaVersion: typeof LOAD_SUMMARY_SCHEMA_VERSION;
  workload: string;
  /** ISO time the run started (before connecting). */
  startedAt: string;
  /** Connect, publish and drain, in ms. */
  durationMs: number;
  /** URLs with any password replaced by `***`. */
  target: { publishUrl: string; subscribeUrl: string; publishTopic: string; subscribeFilter: string | null };
  qos: number;
  publishers: number;
  subscribers: number;
  /** The fixed payload size; for telemetry payloads the mean size of the measured publishes (null if none). */
  payloadBytes: number | null;
  /** E.g. `fixed, 1024 bytes` or `telemetry JSON, 10-200 points`. */
  payload: string;
  /** Requested total publish rate, msg/s; null: as fast as confirmations allow. */
  requestedRate: number | null;
  /** Warm-up publishes (not in rates or latencies; in the counts); null without warm-up. */
  warmup: { perPublisher: number; sent: number; received: number | null } | null;
  /** Confirmed publishes per second (QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP): what other tools report. */
  sentRate: number;
  /** Unique messages received per second, summed over subscribers. */
  receivedRate: number | null;
  /** Publishes handed to the client. */
  attempted: number;
  /** Of attempted: confirmed by the broker (QoS 0: written). */
  sent: number;
  /** Publishes the broker never acknowledged (QoS 0: never written), or that failed. */
  unconfirmed: number;
  /** Unique receipts, summed over subscribers. */
  received: number | null;
  /** attempted × subscribers = received + lost. */
  expected: number | null;
  lost: number | null;
  /** Of lost: acknowledged by the broker and never delivered. */
  lostAcknowledged: number | null;
  /** Of lost: never acknowledged by the broker. */
  lostUnacknowledged: number | null;
  /** Of lost: the client reported the publish as failed. */
  lostFailed: number | null;
  duplicates: number | null;
  reordered: number | null;
  /** Failed the integrity check, or had no intact identity header. */
  corrupted: number | null;
  /** Publish → receive, µs. */
  latencyUs: Percentiles | null;
  /** Intended send time → receive, µs (rate-limited runs: no coordinated omission). */
  latencyFromIntendedUs: Percentiles | null;
  /** Publish → PUBACK (QoS 1) or PUBCOMP (QoS 2), µs; null at QoS 0 (nothing is acknowledged). */
  publishAckLatencyUs: Percentiles | null;
  /** How the wait for the last messages ended: complete, idle (nothing arrived for idleMs), max (drainMaxMs). */
  drain: { outcome: string; waitedMs: number; idleMs: number };
  limitedBy: string;
  harnessSaturated: boolean;
  /** CPU over the run: the harness, the machine; the broker's is unknown (external). */
  cpu: CpuShares | null;
  rssMaxMB: number;
  /** The MQTT client implementation the engine used ("lean" or "mqtt.js"). */
  client: string;
  errors: string[];
  /** `not gated` without gate options; exit code 3 for `fail`, 4 for `inconclusive`. */
  verdict: LoadVerdict['kind'];
  /** Why the verdict is fail or inconclusive (or a pass with a note). */
  verdictReason: string | null;
  gates: GateOutcome[];
  /** Where the limits came from. */
  gateSources: string[];
  /** Known broker defaults the figures point to. */
  hints: string[];
}

export interface SummaryInputs {
  result: LoadResult;
  cpu: CpuShares | null;
  verdict: LoadVerdict;
  gateSources: readonly string[];
  hints: readonly string[];
}

export function summarize({ result, cpu, verdict, gateSources, hints }: SummaryInputs): LoadSummary {
  const c = result.counters;
  const { workload, latency, throughput } = result;
  const receiving = c.receiverGroups > 0;
  const whenReceiving = (value: number): number | null => (receiving ? value : null);
  const payload = workload.payload;
  const meanBytes =
    throughput.confirmed > 0 ? Math.round(throughput.confirmedBytesPerSecond / throughput.confirmedPerSecond) : null;
  return {
    schemaVersion: LOAD_SUMMARY_SCHEMA_VERSION,
    workload: workload.name,
    startedAt: result.startedAt,
    durationMs: result.timingsMs.total,
    target: {
      publishUrl: result.target.publishUrl,
      subscribeUrl: result.target.subscribeUrl,
      publishTopic: result.target.exampleTopic,
      subscribeFilter: receiving ? result.target.subscribeFilter : null,
    },
    qos: workload.qos,
    publishers: workload.publishers,
    subscribers: workload.subscribers,
    payloadBytes: payload.kind === 'fixed' ? payload.bytes : meanBytes,
    payload:
      payload.kind === 'fixed'
        ? `${payload.bytes} bytes`
        : `telemetry JSON, ${payload.minPoints}-${payload.maxPoints} points${meanBytes !== null ? ` (mean ${meanBytes} bytes)` : ''}`,
    requestedRate: workload.ratePerSecond > 0 ? workload.ratePerSecond : null,
    warmup:
      workload.warmupMessages > 0
        ? {
            perPublisher: workload.warmupMessages,
            sent: c.sent - throughput.confirmed,
            received: whenReceiving(c.received - throughput.received),
          }
        : null,
    sentRate: Math.round(throughput.confirmedPerSecond),
    receivedRate: whenReceiving(Math.round(throughput.receivedPerSecond)),
    attempted: c.attempted,
    sent: c.sent,
    unconfirmed: c.unconfirmed + c.publishFailed,
    received: whenReceiving(c.received),
    expected: whenReceiving(c.expected),
    lost: whenReceiving(c.lost),
    lostAcknowledged: whenReceiving(c.lostAcknowledged),
    lostUnacknowledged: whenReceiving(c.lostUnacknowledged),
    lostFailed: whenReceiving(c.lostFailed),
    duplicates: whenReceiving(c.duplicates),
    reordered: whenReceiving(c.reordered),
    corrupted: whenReceiving(c.corrupted + c.foreign),
    latencyUs: percentiles(latency.endToEnd),
    latencyFromIntendedUs: latency.endToEndFromIntended ? percentiles(latency.endToEndFromIntended) : null,
    publishAckLatencyUs: workload.qos > 0 ? percentiles(latency.publishConfirm) : null,
    drain: { outcome: result.drain.outcome, waitedMs: result.drain.waitedMs, idleMs: workload.drainIdleMs },
    limitedBy: result.diagnostics.limitedBy,
    harnessSaturated: result.diagnostics.harnessSaturated,
    cpu,
    rssMaxMB: Math.round(result.diagnostics.memory.rssMaxBytes / 1e5) / 10,
    client: result.diagnostics.client.used,
    errors: result.errors.map((e) => `${e.source} ${e.clientId}: ${e.message} (x${e.count})`),
    verdict: verdict.kind,
    verdictReason: verdictReason(verdict),
    gates: verdict.kind === 'not gated' ? [] : verdict.gates,
    gateSources: [...gateSources],
    hints: [...hints],
  };
}

function percentiles(report: LatencyReport): Percentiles | null {
  if (report.count === 0) return null;
  return { p50: report.p50, p90: report.p90, p99: report.p99, p99_9: report.p99_9, max: report.max };
}

function verdictReason(verdict: LoadVerdict): string | null {
  if (verdict.kind === 'fail') return [verdict.broken, verdict.evidence].filter(Boolean).join('\n');
  if (verdict.kind === 'inconclusive') return verdict.reason;
  if (verdict.kind === 'pass') return verdict.note ?? null;
  return null;
}

export function formatSummary(s: LoadSummary): string {
  const t = s.target;
  const lines = [
    `${s.workload}: ${s.publishers} publisher(s) → ${s.subscribers} subscriber(s), QoS ${s.qos}, payload ${s.payload}, ${t.publishUrl}${t.subscribeUrl !== t.publishUrl ? ` → ${t.subscribeUrl}` : ''}`,
    `  topics    ${t.publishTopic}${s.publishers > 1 ? ' …' : ''}${t.subscribeFilter ? ` · subscribed to ${t.subscribeFilter}` : ''} · started ${s.startedAt}, took ${(s.durationMs / 1000).toFixed(1)} s`,
    `  sent      ${count(s.attempted)} attempted · ${count(s.sent)} confirmed · ${rate(s.sentRate)} msg/s${s.unconfirmed ? ` · ${count(s.unconfirmed)} never acknowledged by the broker` : ''}`,
  ];
  const a = s.publishAckLatencyUs;
  if (a)
    lines.push(
      `  acked     ${ackName(s.qos)} after p50 ${ms(a.p50)} ms · p90 ${ms(a.p90)} ms · p99 ${ms(a.p99)} ms · max ${ms(a.max)} ms`,
    );
  if (s.received === null) {
    lines.push('  received  (publish only: no subscribers, so no delivery or end-to-end latency is measured)');
  } else {
    lines.push(
      `  received  ${count(s.received)}/${count(s.expected ?? 0)} unique · ${rate(s.receivedRate ?? 0)} msg/s · lost ${count(s.lost ?? 0)}${s.lostUnacknowledged ? ` (${count(s.lostUnacknowledged)} never acknowledged by the broker)` : ''} · duplicates ${count(s.duplicates ?? 0)} · reordered ${count(s.reordered ?? 0)} · corrupted ${count(s.corrupted ?? 0)}`,
    );
    const missing = neverArrived(s);
    if (missing) lines.push(`            ${missing}`);
    const l = s.latencyUs;
    lines.push(
      l
        ? `  latency   p50 ${ms(l.p50)} ms · p90 ${ms(l.p90)} ms · p99 ${ms(l.p99)} ms · p99.9 ${ms(l.p99_9)} ms · max ${ms(l.max)} ms`
        : '  latency   (no measured message arrived)',
    );
  }
  if (s.latencyFromIntendedUs) {
    const i = s.latencyFromIntendedUs;
    lines.push(
      `  latency from the intended send time  p50 ${ms(i.p50)} ms · p99 ${ms(i.p99)} ms · max ${ms(i.max)} ms`,
    );
  }
  if (s.warmup) {
    lines.push(
      `  warm-up   ${count(s.warmup.perPublisher)} per publisher: ${count(s.warmup.sent)} confirmed${s.warmup.received !== null ? `, ${count(s.warmup.received)} received` : ''} (in the counts above, not in rates or latencies)`,
    );
  }
  lines.push(
    `  pace set by ${s.limitedBy}${s.harnessSaturated ? ' (harness saturated: the figures understate the broker)' : ''} · harness RSS max ${s.rssMaxMB} MB · client ${s.client}`,
  );
  if (s.cpu) lines.push(`  ${describeCpuShares(s.cpu)}`);
  for (const error of s.errors) lines.push(`  error: ${error}`);
  if (s.verdict !== 'not gated') lines.push(...formatVerdict(s));
  for (const hint of s.hints) lines.push(`  hint: ${hint}`);
  return lines.join('\n');
}

function ackName(qos: number): string {
  return qos === 1 ? 'PUBACK' : 'PUBCOMP';
}

/** "190 never arrived within 3 s": how the wait for the last messages ended, in words. */
function neverArrived(s: LoadSummary): string {
  const lost = s.lost ?? 0;
  if (lost === 0) return '';
  const seconds = (value: number): string => `${Number((value / 1000).toFixed(1))} s`;
  if (s.drain.outcome === 'idle')
    return `${count(lost)} never arrived within ${seconds(s.drain.idleMs)} (nothing more arrived for that long, so the run ended)`;
  if (s.drain.outcome === 'max')
    return `${count(lost)} had not arrived when the wait for them reached its limit (${seconds(s.drain.waitedMs)}, drainMaxMs)`;
  return `${count(lost)} never arrived`;
}

function formatVerdict(s: LoadSummary): string[] {
  const lines = ['  gates     ' + s.gateSources.join(' + ')];
  for (const g of s.gates) {
    const mark = g.passed ? '✓' : g.inconclusive ? '?' : '✗';
    lines.push(`    ${mark} ${describeGate(g)}`);
  }
  if (s.verdict === 'pass') lines.push(`  verdict   PASS${s.verdictReason ? ` (${s.verdictReason})` : ''}`);
  if (s.verdict === 'fail') lines.push(`  verdict   FAIL (exit ${EXIT_THRESHOLD_BROKEN}): a threshold was broken`);
  if (s.verdict === 'inconclusive')
    lines.push(
      `  verdict   INCONCLUSIVE (exit ${EXIT_INCONCLUSIVE}): only timing thresholds were broken, and ${s.verdictReason ?? ''}. A harness or machine that falls behind only makes timing worse, so the broker may be fine or not: rerun on a quieter machine, or allow it with "allowInconclusive": true in the gate file.`,
    );
  return lines;
}

function describeGate(g: GateOutcome): string {
  const line = describeBrokenGates('', [{ ...g, passed: false }])
    .replace(/^: /, '')
    .replace(' broken:', ':');
  return g.inconclusive && !g.passed ? `${line} (inconclusive)` : line;
}
