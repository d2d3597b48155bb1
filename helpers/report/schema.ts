/**
 * The schema of report.json, as zod (used by the CLI to validate what it reads) and as the JSON
 * Schema file `report.schema.json` generated from it (`mqtt-testbench schema > helpers/report/report.schema.json`;
 * a unit test fails when the file is out of date, another validates real reports against it).
 *
 * Every object is loose (unknown properties allowed): adding an optional field is compatible and
 * keeps `schemaVersion`; removing, renaming or changing the meaning of a field bumps it.
 */
import * as z from 'zod';
import { REPORT_SCHEMA_VERSION } from './report-types.js';

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);
const protocolVersion = z.union([z.literal(4), z.literal(5)]);
const verdict = z.enum(['pass', 'fail', 'skip', 'inconclusive']);
const count = z.number().int().min(0);

const latency = z
  .looseObject({
    count,
    min: z.number(),
    mean: z.number(),
    p50: z.number(),
    p90: z.number(),
    p99: z.number(),
    p99_9: z.number(),
    max: z.number(),
    histogram: z.string().optional().describe('HdrHistogram V2 compressed base64, values in µs'),
  })
  .describe('Latency summary in µs');

const counters = z
  .looseObject({
    attempted: count.describe('publishes handed to the client'),
    sent: count.describe('publishes the client confirmed (QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP)'),
    unconfirmed: count.describe('publishes that failed or were never confirmed'),
    expected: count.describe('attempted × receivers'),
    received: count,
    duplicates: count,
    reordered: count,
    lost: count.describe('attempted and never received (expected − received), acknowledged or not'),
    lostAcknowledged: count.describe('of lost: confirmed by the broker, never delivered'),
    lostUnacknowledged: count.describe('of lost: never acknowledged by the broker'),
    lostFailed: count.describe('of lost: reported failed by the client'),
    corrupted: count,
    unconfirmedReceived: count,
  })
  .describe('Exact message accounting: expected = received + lost');

const gate = z.looseObject({
  name: z.string(),
  figure: z.string(),
  comparison: z.enum(['<=', '>=']),
  limit: z.number(),
  measured: z.number(),
  unit: z.string(),
  passed: z.boolean(),
  source: z.string(),
});

const subject = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('broker'), target: z.string(), runtime: z.string(), version: z.string() }),
  z.looseObject({
    kind: z.literal('topology'),
    id: z.string(),
    downstream: z.string(),
    upstream: z.string(),
    forwarder: z.string(),
    runtime: z.string(),
    versions: z.looseObject({ downstream: z.string(), upstream: z.string() }),
  }),
]);

const qosCell = z.looseObject({
  path: z.enum(['direct', 'forwarded']),
  protocolVersion,
  publishQos: qos,
  subscribeQos: qos,
  expectedQos: qos,
  observedQos: z.array(z.number().int()),
  expectation: z.string(),
  counters,
  grantedQos: z.number().int().nullable().optional(),
  annotations: z
    .array(
      z.looseObject({
        kind: z.enum(['documented-choice', 'declared-deviation']),
        text: z.string(),
        source: z.string(),
      }),
    )
    .optional()
    .describe('Where the cell departs from the plain reading of the spec because of what a broker documents'),
});

const period = z.looseObject({
  t: z.number(),
  publishPerSec: z.number(),
  receivePerSec: z.number(),
  backlog: z.number(),
  p50Us: z.number().optional(),
  p99Us: z.number().optional(),
});

const testState = z.enum(['passed', 'failed', 'skipped', 'pending']);

const testRef = z.looseObject({
  name: z.string(),
  fullName: z.string(),
  file: z.string(),
  project: z.string(),
  state: testState,
  durationMs: z.number().min(0),
  error: z.string().optional(),
  repeatCount: count.optional(),
  retryCount: count.optional(),
});

const repeatFigures = z.looseObject({
  runId: z.string(),
  sent: z.number().optional(),
  received: z.number().optional(),
  lost: z.number().optional(),
  duplicates: z.number().optional(),
  lossRate: z.number().optional(),
  p50Us: z.number().optional(),
  p90Us: z.number().optional(),
  p99Us: z.number().optional(),
  p99_9Us: z.number().optional(),
  maxUs: z.number().optional(),
  publishPerSec: z.number().optional(),
  receivePerSec: z.number().optional(),
  durationMs: z.number().optional(),
});

export const resultSchema = z
  .looseObject({
    suite: z.string(),
    scenario: z.string(),
    subject,
    protocolVersion: protocolVersion.optional(),
    qos: qos.optional(),
    variant: z.string().optional(),
    counters: counters.optional(),
    latency: latency.optional(),
    latencyFromIntended: latency.optional(),
    sendDelay: latency.optional(),
    throughput: z
      .looseObject({ publishPerSec: z.number(), receivePerSec: z.number(), durationMs: z.number() })
      .optional(),
    periods: z.array(period).optional(),
    gates: z.array(gate).optional(),
    qosCell: qosCell.optional(),
    observations: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    expectations: z.array(z.string()).optional(),
    diagnostics: z
      .looseObject({
        harnessSaturated: z.boolean(),
        reasons: z.array(z.string()),
        eventLoopLagP99Ms: z.number().optional(),
        eventLoopLagMaxMs: z.number().optional(),
      })
      .optional(),
    notes: z.array(z.string()).optional(),
    key: z.string().describe('suite | scenario | subject | protocol | QoS [| variant]: matches results across runs'),
    test: testRef,
    verdict,
    verdictReason: z.string().optional(),
    repeats: z.array(repeatFigures).optional().describe('Key figures of each run when the scenario ran more than once'),
  })
  .describe('One measured scenario');

const fingerprint = z.looseObject({
  id: z.string(),
  runtime: z.string(),
  cpus: count,
  profile: z.string(),
  targetVersions: z.array(z.string()),
});
const entryStatus = z.enum(['ran', 'skipped']);
const figureSample = z.looseObject({ median: z.number(), min: z.number(), max: z.number(), n: count });
const figureStatus = z.enum(['ok', 'improved', 'regressed', 'untrusted']);
const comparedFigure = z.enum(['p50Us', 'p99Us', 'receivePerSec', 'lossRate']);

const tolerances = z.looseObject({
  latencyP50Rel: z.number(),
  latencyP99Rel: z.number(),
  latencySlackUs: z.number(),
  throughputRel: z.number(),
  lossAbs: z.number(),
});

const baseline = z.looseObject({
  file: z.string(),
  runId: z.string(),
  fingerprint,
  fingerprintDifferences: z.array(z.string()),
  forced: z.boolean(),
  tolerances,
  tolerancesSource: z.string(),
  comparisons: z.array(
    z.looseObject({
      key: z.string(),
      suite: z.string(),
      scenario: z.string(),
      variant: z.string().optional(),
      subject: z.string(),
      protocolVersion: z.number().optional(),
      qos: z.number().optional(),
      figures: z.array(
        z.looseObject({
          figure: comparedFigure,
          baseline: figureSample,
          current: figureSample,
          delta: z.number(),
          deltaRel: z.number().nullable(),
          limit: z.number(),
          rule: z.string(),
          status: figureStatus,
        }),
      ),
      status: figureStatus,
    }),
  ),
  missing: z.array(z.string()),
  added: z.array(z.string()),
  regressions: count,
  verdict: z.enum(['pass', 'fail', 'refused', 'inconclusive']),
  message: z.string(),
});

export const reportSchema = z
  .looseObject({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    generator: z.looseObject({ name: z.literal('mqtt-testbench'), version: z.string() }),
    run: z.looseObject({
      id: z.string(),
      startedAt: z.string(),
      finishedAt: z.string(),
      durationMs: z.number().min(0),
      profile: z.string(),
      strict: z.boolean(),
      command: z.string(),
      state: z.enum(['passed', 'failed', 'interrupted']),
      errors: z.array(z.string()),
      mergedFrom: z
        .array(z.looseObject({ runId: z.string(), file: z.string(), startedAt: z.string(), fingerprint: z.string() }))
        .optional(),
    }),
    environment: z.looseObject({
      runtime: z.looseObject({ kind: z.string(), reason: z.string() }),
      docker: z.union([
        z.looseObject({ ok: z.literal(true), serverVersion: z.string(), host: z.string() }),
        z.looseObject({ ok: z.literal(false), reason: z.string() }),
      ]),
      node: z.string(),
      platform: z.string(),
      cpus: count,
      cpuModel: z.string(),
      memoryMb: z.number(),
      profile: z.string(),
      ci: z.boolean(),
      github: z
        .looseObject({
          repository: z.string(),
          sha: z.string(),
          runId: z.string(),
          workflow: z.string(),
          ref: z.string(),
        })
        .optional(),
      fingerprint,
    }),
    targets: z.array(
      z.looseObject({
        name: z.string(),
        runtime: z.string(),
        status: entryStatus,
        reason: z.string().optional(),
        detail: z.string().optional(),
        versions: z.array(z.string()),
        behaviour: z
          .looseObject({
            queuesQos0WhileOffline: z.boolean(),
            mqtt5: z.boolean(),
            notes: z.array(z.string()),
            version: z.string().optional(),
            table: z
              .array(
                z.looseObject({
                  entry: z.string(),
                  value: z.string(),
                  kind: z.string(),
                  says: z.string(),
                  source: z.string(),
                }),
              )
              .optional()
              .describe(
                "The target's behaviour table: what the broker documents where the spec leaves a choice or where it deviates",
              ),
          })
          .optional(),
      }),
    ),
    forwarders: z.array(
      z.looseObject({
        spec: z.string(),
        kind: z.string(),
        name: z.string(),
        status: entryStatus,
        reason: z.string().optional(),
        declaration: z.record(z.string(), z.unknown()),
      }),
    ),
    topologies: z.array(
      z.looseObject({
        id: z.string(),
        downstream: z.string(),
        upstream: z.string(),
        forwarder: z.string(),
        runtime: z.string(),
        status: entryStatus,
        reason: z.string().optional(),
      }),
    ),
    results: z.array(resultSchema),
    tests: z.looseObject({ total: count, passed: count, failed: count, skipped: count, measured: count }),
    skipped: z.array(z.looseObject({ test: testRef, reason: z.string() })),
    failures: z.array(z.looseObject({ test: testRef, error: z.string(), measured: z.boolean() })),
    baseline: baseline.optional(),
    timing: z
      .looseObject({
        files: z.array(
          z.looseObject({
            file: z.string(),
            project: z.string(),
            durationMs: z.number(),
            beganMs: z.number().optional().describe('When the file began, ms after the run began'),
            phases: z.record(z.string(), z.number()).optional(),
          }),
        ),
      })
      .optional()
      .describe('Where the time went: every test file, slowest first, with its time per phase'),
    verdict: z.enum(['pass', 'fail', 'inconclusive']),
  })
  .meta({
    title: 'mqtt-testbench report',
    description: 'report.json written by the mqtt-testbench vitest reporter (reports/<run id>/report.json).',
  });

/** The JSON Schema document committed as helpers/report/report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(reportSchema, { target: 'draft-2020-12', io: 'input' });
}
