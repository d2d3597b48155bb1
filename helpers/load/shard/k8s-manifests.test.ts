/**
 * deploy/k8s checked without a cluster: every manifest validates against the Kubernetes schemas
 * bundled in kubernetes-models (which also fails on a wrong type or a missing required field, as
 * the broken copy below shows), the Job and the ConfigMap agree with each other and with the
 * workload, the pod's shell line gives each index its shard, and collect.sh takes each shard's log
 * and hands them to the merge (with a stand-in for kubectl).
 */
import { skipTest } from '../../vitest/skip.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { bundleStatus } from '../worker/bundle.js';
import { parseWorkload } from '../workload.js';
import { encodeForLog, shardFailure } from './shard-file.js';
import { planShard } from './shard-plan.js';

const K8S_DIR = fileURLToPath(new URL('../../../deploy/k8s/', import.meta.url));
const cli = bundleStatus('mqtt-testbench.mjs', ['helpers']);

/** The kinds deploy/k8s may hold, each with the model that validates it. */
const MODELS = {
  'v1/ConfigMap': (doc: object) => new ConfigMap(doc),
  'batch/v1/Job': (doc: object) => new Job(doc),
} as const;

interface Manifest {
  file: string;
  doc: Record<string, unknown>;
}

function manifests(): Manifest[] {
  return readdirSync(K8S_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).map((document) => {
        if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
        return { file, doc: document.toJS() as Record<string, unknown> };
      }),
    );
}

function validate({ file, doc }: Manifest): string {
  const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}` as keyof typeof MODELS;
  const model = MODELS[key];
  if (!model) throw new Error(`${file}: ${key} is not a kind deploy/k8s is expected to hold`);
  model(doc).validate();
  return `${file}: ${key} ${String((doc['metadata'] as { name?: string } | undefined)?.name)} valid`;
}

function find(kind: string): Job | ConfigMap {
  const found = manifests().find((m) => m.doc['kind'] === kind);
  if (!found) throw new Error(`deploy/k8s has no ${kind}`);
  return kind === 'Job' ? new Job(found.doc) : new ConfigMap(found.doc);
}

describe('deploy/k8s', () => {
  test('every manifest is valid against the Kubernetes schemas, and a broken one is not', async (context) => {
    const all = manifests();
    expect(all.map((m) => `${m.file} ${String(m.doc['kind'])}`).sort()).toEqual([
      'configmap.yaml ConfigMap',
      'job.yaml Job',
    ]);
    const lines = all.map(validate);
    await context.annotate(lines.join('; '));

    const job = all.find((m) => m.doc['kind'] === 'Job') as Manifest;
    const broken = structuredClone(job.doc) as {
      spec: { completions: unknown; template: { spec: { containers: { name?: string }[] } } };
    };
    broken.spec.completions = 'four';
    delete broken.spec.template.spec.containers[0]?.name;
    expect(() => validate({ file: 'broken job', doc: broken })).toThrow(
      /spec\/completions must be integer, .*containers\/0 must have required property name/,
    );
  });

  test('the Job runs every shard at once, never retries one, and reads what the ConfigMap holds', () => {
    const job = find('Job') as Job;
    const config = find('ConfigMap') as ConfigMap;
    const data = config.data ?? {};
    const shards = Number(data['SHARDS']);
    const spec = job.spec;
    expect(spec?.completionMode).toBe('Indexed');
    expect(spec?.completions).toBe(shards);
    expect(spec?.parallelism).toBe(shards);
    expect(spec?.backoffLimitPerIndex).toBe(0);
    const pod = spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never');
    const container = pod?.containers[0];
    for (const env of container?.env ?? []) {
      const ref = env.valueFrom?.configMapKeyRef;
      if (ref)
        expect(`${ref.name}/${ref.key}: ${data[ref.key] !== undefined}`).toBe(
          `${config.metadata?.name}/${ref.key}: true`,
        );
    }
    expect(container?.env?.find((e) => e.name === 'RUN_ID')?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.labels['batch.kubernetes.io/controller-uid']",
    );
    const volume = pod?.volumes?.find((v) => v.name === container?.volumeMounts?.[0]?.name);
    expect(volume?.configMap?.name).toBe(config.metadata?.name);
    expect(volume?.configMap?.items?.map((i) => i.key)).toEqual(['workload.json']);
    // The workload is valid and has a client for every shard.
    const workload = parseWorkload(JSON.parse(data['workload.json'] ?? ''));
    for (let index = 1; index <= shards; index++) planShard(workload, { index, count: shards, runId: 'uid' });
  });

  test("the pod's shell line gives completion index K-1 shard K/N", () => {
    const container = (find('Job') as Job).spec?.template.spec?.containers[0];
    const [shell, flag] = container?.command ?? [];
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    const line = (container?.args?.[0] ?? '').replace(
      /^exec node \/app\/dist\/mqtt-testbench\.mjs /,
      'printf "%s\\n" ',
    );
    expect(line).toMatch(/^printf/);
    const argv = execFileSync('/bin/sh', ['-c', line], {
      env: {
        PATH: process.env['PATH'],
        JOB_COMPLETION_INDEX: '2',
        SHARDS: '4',
        MQTT_URL: 'mqtt://b:1883',
        RUN_ID: 'u-1',
      },
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    expect(argv).toEqual([
      'load',
      '/etc/mqtt-testbench/workload.json',
      '--url',
      'mqtt://b:1883',
      '--shard',
      '3/4',
      '--run-id',
      'u-1',
      '--barrier-timeout',
      '600000',
      '--log-result',
    ]);
  });
});

describe('deploy/k8s/collect.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtb-collect-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("takes each index's log and merges them; a shard without a result fails the merge by name", (context) => {
    if (cli.state !== 'ready') skipTest(context, 'environment', cli.reason);
    // kubectl stand-in: a Job of 2 shards that has ended; index 0 failed with a reason, index 1 was killed.
    writeFileSync(
      join(dir, 'pod-0.log'),
      `${encodeForLog(shardFailure({ index: 1, count: 2, runId: 'u' }, 'barrier timeout'), { index: 1, count: 2 })}\n`,
    );
    writeFileSync(join(dir, 'pod-1.log'), 'mqtt-testbench load: shard 2/2 of run u: all 2 shards ready\n');
    const kubectl = join(dir, 'kubectl');
    writeFileSync(
      kubectl,
      [
        '#!/usr/bin/env bash',
        'case "$*" in',
        '  *"{.spec.completions}"*) echo 2 ;;',
        '  *"{.status.conditions"*) echo Failed ;;',
        `  logs*) args="$*"; index=\${args##*job-completion-index=}; cat "${dir}/pod-\${index%% *}.log" ;;`,
        '  *) echo "unexpected: $*" >&2; exit 9 ;;',
        'esac',
      ].join('\n'),
    );
    chmodSync(kubectl, 0o755);
    const run = spawnSync('bash', [join(K8S_DIR, 'collect.sh'), 'mqtt-testbench-load', join(dir, 'out')], {
      env: { ...process.env, KUBECTL: kubectl, MQTT_TESTBENCH: `${process.execPath} ${cli.path}` },
      encoding: 'utf8',
    });
    expect(run.stderr).toContain('collect: job mqtt-testbench-load ended (Failed)');
    expect(run.stderr).toMatch(/shard-2\.log holds no shard result/);
    expect(run.stderr).toMatch(/shard 1\/2 failed \(.*shard-1\.log\): barrier timeout/);
    expect(run.stderr).toMatch(/shard 2\/2 missing/);
    expect(run.status).toBe(1);
  });
});
