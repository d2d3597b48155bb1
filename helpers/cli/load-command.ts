/**
 * `mqtt-testbench load`: the load engine outside the suites, against any broker URL. A workload
 * comes from a file (fixtures/workloads/*.json shape), from options, or from both (options win),
 * and is validated by the same schema as the suites' workloads before anything connects.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { type MeteredComponent, startCpuMeter } from '../runtime/cpu-meter.js';
import type { CpuShares } from '../stats/cpu-shares.js';
import { ConfigError } from '../config/errors.js';
import { parseJsonWithPosition } from '../config/json-file.js';
import { mqttUrlProblem } from '../config/settings.js';
import { runLoad } from '../load/run-load.js';
import type { LoadResult, ShardRunOptions, Workload } from '../load/types.js';
import { parseWorkload, WorkloadError, workloadSchema } from '../load/workload.js';
import { loadReportSettings } from '../report/report-settings.js';
import { redactUrl } from '../security/redact.js';
import { topicFilterProblem } from '../mqtt/topic-filter.js';
import { UsageError, type OptionSpecs, type ParsedArgs } from './args.js';
import { defineCommand, type CliIo } from './command.js';
import { PASSWORD_ENV, readPassword, readPemOption } from './credentials.js';
import { didYouMean } from './suggest.js';
import { openShard, shardCliFrom, shardSummaryLine, writeShardOutput, writeWhole } from './load-shard.js';
import { exitCodeOf, judgeLoad, loadGatesFor, type LoadVerdict } from './load-gates.js';
import { brokerHints } from './load-hints.js';
import { formatSummary, summarize } from './load-summary.js';

/** Options that set a workload field, with how to read their value. */
const WORKLOAD_OPTIONS = {
  publishers: { field: 'publishers', kind: 'int' },
  subscribers: { field: 'subscribers', kind: 'int' },
  qos: { field: 'qos', kind: 'int' },
  messages: { field: 'messages', kind: 'int' },
  duration: { field: 'durationMs', kind: 'int' },
  rate: { field: 'ratePerSecond', kind: 'number' },
  inflight: { field: 'inflight', kind: 'int' },
  warmup: { field: 'warmupMessages', kind: 'int' },
  protocol: { field: 'protocolVersion', kind: 'int' },
  workers: { field: 'workers', kind: 'workers' },
  client: { field: 'client', kind: 'string' },
} as const;

// Short options as mosquitto_pub and emqtt-bench have them (-h is help here, not the host).
const LOAD_OPTIONS = {
  url: {
    type: 'string',
    short: 'L',
    valueName: 'URL',
    description: 'broker to publish to (required): mqtt://, mqtts://, ws:// or wss://host:port',
  },
  'subscribe-url': {
    type: 'string',
    valueName: 'URL',
    description: 'subscribe on another broker, e.g. the upstream side of a forwarder',
  },
  'subscribe-topic': {
    type: 'string',
    valueName: 'FILTER',
    description:
      'subscribe to this filter instead of <topic prefix>/#: for a forwarder\nthat remaps topics (it must match only the copies of this run)',
  },
  publishers: { type: 'string', valueName: 'N', description: 'publishing clients (default 1)' },
  subscribers: {
    type: 'string',
    valueName: 'N',
    description: 'subscribing clients (default 1; 0: publish only, as mqtt-bench does)',
  },
  qos: { type: 'string', short: 'q', valueName: '0|1|2', description: 'QoS of publish and subscribe (default 0)' },
  messages: {
    type: 'string',
    valueName: 'N',
    description: 'messages per publisher (default 10000); not with --duration',
  },
  duration: { type: 'string', valueName: 'MS', description: 'publish for this long instead of a count' },
  size: {
    type: 'string',
    short: 's',
    valueName: 'BYTES',
    description: 'fixed payload size (default 1024; at least 148: identity, integrity)',
  },
  rate: {
    type: 'string',
    valueName: 'MSG_PER_S',
    description: 'total publish rate; 0 (default) = as fast as confirmations allow',
  },
  inflight: { type: 'string', valueName: 'N', description: 'unconfirmed publishes per publisher (default 1000)' },
  warmup: { type: 'string', valueName: 'N', description: 'warm-up messages per publisher (default 0)' },
  workers: { type: 'string', valueName: 'N|auto', description: 'worker threads (default 1)' },
  protocol: { type: 'string', short: 'V', valueName: '4|5', description: 'MQTT 3.1.1 (4, default) or MQTT 5 (5)' },
  client: {
    type: 'string',
    valueName: 'auto|lean|mqtt.js',
    description: "MQTT client (default auto: the engine's lean client unless\nsomething needs mqtt.js)",
  },
  topic: {
    type: 'string',
    short: 't',
    valueName: 'PREFIX',
    description: 'topic prefix (default mtb/load/<random>)',
  },
  username: { type: 'string', short: 'u', valueName: 'NAME', description: 'user name for both URLs' },
  'password-file': {
    type: 'string',
    valueName: 'FILE',
    description: `file holding the password (its first line); default, with a user\nname: $${PASSWORD_ENV}. No --password: command lines are visible to all`,
  },
  ca: { type: 'string', valueName: 'FILE', description: "PEM of the CA that signed the broker's certificate" },
  cert: { type: 'string', valueName: 'FILE', description: 'client certificate (PEM), with --key' },
  key: { type: 'string', valueName: 'FILE', description: 'private key of the client certificate (PEM)' },
  'max-loss': {
    type: 'string',
    valueName: 'RATIO',
    description: 'gate: lost / expected at most this (0 = nothing lost, 0.001 = 0.1 %)',
  },
  'max-p99-ms': {
    type: 'string',
    valueName: 'MS',
    description: 'gate: end-to-end p99 latency at most this (from the intended send\ntime with --rate)',
  },
  'min-rate': {
    type: 'string',
    valueName: 'MSG_PER_S',
    description:
      'gate: received msg/s over all subscribers at least this (with\n--subscribers 0: confirmed publishes per second)',
  },
  gates: {
    type: 'string',
    valueName: 'FILE',
    description:
      'gate file (fixtures/gates/default.json format): its "load" section,\ndefaults, then the scenario named after the workload',
  },
  json: { type: 'boolean', description: 'print the summary as JSON (schemaVersion 1)' },
  out: {
    type: 'string',
    short: 'o',
    valueName: 'FILE',
    description: 'write the full result (histograms, series) to FILE',
  },
  shard: {
    type: 'string',
    valueName: 'K/N',
    description: "run shard K's share of the clients (merge the shards with merge --mode workers)",
  },
  'run-id': {
    type: 'string',
    valueName: 'ID',
    description: 'names a sharded run (required for N > 1, the same in every shard)',
  },
  'start-at': { type: 'string', valueName: 'ISO|EPOCH_MS', description: 'sharded run: start sending at this time' },
  'barrier-timeout': {
    type: 'string',
    valueName: 'MS',
    description: 'sharded run: how long to wait for the other shards',
  },
  'log-result': {
    type: 'boolean',
    description: 'sharded run: also print the result (gzip+base64 between marker lines) for kubectl logs',
  },
} as const satisfies OptionSpecs;

type LoadArgs = ParsedArgs<typeof LOAD_OPTIONS>;

export const loadCommand = defineCommand({
  name: 'load',
  summary: 'run one workload against any broker URL and print a summary',
  usage: ['load [WORKLOAD.json] --url URL [options]'],
  description: `Runs one workload with the suites' engine, accounting and histograms against any broker and
prints a summary. The workload comes from a file (fixtures/workloads/*.json), from options, or
both (options win). Credentials in the URL (mqtts://user:password@host:8883) work too and are
never printed.

As a gate: with any of --max-loss, --max-p99-ms, --min-rate, --gates, the run is also judged on
delivery, with the "load" defaults of fixtures/gates/default.json: nothing lost at QoS 1/2 (0.1 %
at QoS 0), no publish left unacknowledged, no corruption or reordering, no duplicates at QoS 0/2
(1 % at QoS 1). --gates FILE lays a gate file over them; the options win over both. A failed
timing gate (p99, rate) counts only when the machine's CPU does not excuse it (see exit 4).`,
  options: LOAD_OPTIONS,
  parse: { maxPositionals: 1 },
  examples: [
    'mqtt-testbench load --url mqtt://127.0.0.1:1883 -q 1 --messages 50000 --size 1024 --json',
    'mqtt-testbench load fixtures/workloads/rate-step-2000.json -L mqtts://broker:8883 --ca ca.pem \\',
    `    -u alice --password-file pw.txt`,
    'mqtt-testbench load --url mqtt://127.0.0.1:1883 -q 1 --rate 1000 --duration 10000 \\',
    '    --max-loss 0 --max-p99-ms 50 --min-rate 950',
    'mqtt-testbench load -L mqtt://downstream:1883 -t plant/load --subscribe-url mqtt://upstream:1883 \\',
    "    --subscribe-topic 'cloud/plant/load/#'",
  ],
  exitCodes: `0 the run completed and, with gate options, passed them (without gate options a lossy
broker is a result, not an error); 1 it could not run (connection or subscription refused,
interrupted); 2 bad options, workload or gate file, before anything connects; 3 a threshold was
broken; 4 inconclusive: only timing thresholds were broken, while the machine was CPU-bound or
the harness saturated, so the broker cannot be blamed (rerun on a quieter machine).`,
  run: load,
});

async function load(args: LoadArgs, io: CliIo): Promise<number> {
  loadReportSettings(io.env); // MQTT_TESTBENCH_PROGRESS*: checked before anything connects
  const url = brokerUrl(args, 'url');
  if (!url) throw new UsageError('--url is required: the broker to publish to, e.g. --url mqtt://127.0.0.1:1883.');
  const subscribeUrl = brokerUrl(args, 'subscribe-url') ?? url;
  const workload = workloadFrom(args, io.cwd);
  if (args.values['subscribe-url'] && workload.subscribers === 0)
    throw new UsageError('--subscribe-url with --subscribers 0: nothing subscribes; drop one of them.');
  const shardCli = shardCliFrom(
    {
      shard: args.values.shard,
      runId: args.values['run-id'],
      startAt: args.values['start-at'],
      barrierTimeout: args.values['barrier-timeout'],
      logResult: args.values['log-result'] === true,
    },
    workload,
  );
  const prefix = args.values.topic ?? shardCli?.topicPrefix ?? `mtb/load/${Math.random().toString(36).slice(2, 8)}`;
  if (/[#+]/.test(prefix) || prefix.endsWith('/') || prefix.length === 0)
    throw new UsageError(`--topic ${prefix}: a topic prefix without "#", "+" or a trailing "/", e.g. mtb/load.`);
  const subscribeFilter = subscribeTopic(args, workload) ?? `${prefix}/#`;
  const connectOptions = connectOptionsFrom(args, [url, subscribeUrl], io);
  const gates = loadGatesFor(args.values, workload, io.cwd);

  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted (SIGINT/SIGTERM): clients closed, nothing measured'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const out = args.values.out;
  let result: LoadResult;
  let shard: ShardRunOptions | undefined;
  let cpu: CpuShares | null = null;
  try {
    if (shardCli)
      shard = await openShard(
        shardCli,
        { url, topicPrefix: prefix, ...(connectOptions ? { connectOptions } : {}), signal: abort.signal },
        io.err,
      );
    const cpuMeter = await startCpuMeter([EXTERNAL_BROKER]);
    result = await runLoad({
      publishUrl: url,
      subscribeUrl,
      workload,
      topicFor: (i) => `${prefix}/p${i}`,
      subscribeFilter,
      clientIdPrefix: shardCli?.clientIdPrefix ?? `mtb-load-${Math.random().toString(36).slice(2, 8)}`,
      ...(connectOptions ? { connectOptions } : {}),
      progressLabel: `${workload.name} QoS ${workload.qos}`,
      signal: abort.signal,
      ...(shard ? { shard } : {}),
    });
    cpu = await cpuMeter.stop();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`mqtt-testbench load: ${message}`);
    if (shardCli) writeShardOutput(shardCli, { error: message }, out && resolve(io.cwd, out), io.out);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await shard?.sync.close();
  }

  if (shardCli) writeShardOutput(shardCli, { result }, out && resolve(io.cwd, out), io.out);
  else if (out) writeWhole(resolve(io.cwd, out), `${JSON.stringify(result, null, 2)}\n`);
  const verdict: LoadVerdict = gates ? judgeLoad(result, gates, cpu) : { kind: 'not gated' };
  const summary = summarize({ result, cpu, verdict, gateSources: gates?.sources ?? [], hints: brokerHints(result) });
  const shardLine = shardSummaryLine(result);
  io.out(
    args.values.json
      ? JSON.stringify(summary, null, 2)
      : `${formatSummary(summary)}${shardLine ? `\n${shardLine}` : ''}`,
  );
  return exitCodeOf(verdict);
}

/** The broker of `load` is named by URL: the harness cannot see its CPU. */
const EXTERNAL_BROKER: MeteredComponent = {
  label: 'external broker',
  cpuTime: () => Promise.resolve({ kind: 'unknown', why: 'not visible from the harness' }),
};

/** --subscribe-topic: a valid MQTT topic filter, and something to subscribe with. */
function subscribeTopic(args: LoadArgs, workload: Workload): string | undefined {
  const filter = args.values['subscribe-topic'];
  if (filter === undefined) return undefined;
  if (workload.subscribers === 0)
    throw new UsageError('--subscribe-topic with --subscribers 0: nothing subscribes; drop one of them.');
  const problem = topicFilterProblem(filter);
  if (problem) throw new UsageError(`--subscribe-topic ${filter}: a topic filter ${problem}.`);
  return filter;
}

function brokerUrl(args: LoadArgs, option: 'url' | 'subscribe-url'): string | undefined {
  const value = args.values[option];
  if (value === undefined) return undefined;
  const problem = mqttUrlProblem(value);
  if (problem) throw new UsageError(`--${option} ${redactUrl(value)} ${problem}`);
  return value;
}

function workloadFrom(args: LoadArgs, cwd: string): Workload {
  const file = args.positionals[0];
  if (args.values.messages !== undefined && args.values.duration !== undefined)
    throw new UsageError(
      `--messages ${args.values.messages} and --duration ${args.values.duration} exclude each other: a run is either a count of messages per publisher or a time.`,
    );
  let base: Record<string, unknown> = {
    name: 'cli',
    publishers: 1,
    subscribers: 1,
    qos: 0,
    payload: { kind: 'fixed', bytes: 1024 },
    messages: 10_000,
    inflight: 1000,
  };
  if (file) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read the workload file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = parseJsonWithPosition(text, file);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
      throw error;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UsageError(`${file}: a workload is a JSON object (see fixtures/workloads/).`);
    base = parsed as Record<string, unknown>;
    checkFieldNames(base, file);
  }
  const input: Record<string, unknown> = { ...base };
  for (const [option, { field, kind }] of Object.entries(WORKLOAD_OPTIONS)) {
    const text = args.values[option as keyof typeof WORKLOAD_OPTIONS];
    if (text === undefined) continue;
    if (kind === 'workers' && text === 'auto') input[field] = 'auto';
    else if (kind === 'string') input[field] = text;
    else {
      const value = Number(text);
      if (!Number.isFinite(value) || (kind !== 'number' && !Number.isInteger(value))) {
        throw new UsageError(
          `--${option} ${text} is not ${kind === 'number' ? 'a number' : kind === 'workers' ? 'an integer or "auto"' : 'an integer'}.`,
        );
      }
      input[field] = value;
    }
    // messages and durationMs exclude each other: an option for one replaces the file's other.
    if (field === 'messages') delete input['durationMs'];
    if (field === 'durationMs') delete input['messages'];
  }
  const size = args.values.size;
  if (size !== undefined) {
    if (!/^\d+$/.test(size)) throw new UsageError(`--size ${size} is not a number of bytes.`);
    input['payload'] = { kind: 'fixed', bytes: Number(size) };
  }
  try {
    return parseWorkload(
      input,
      file ? `workload ${file} with the command-line options` : 'workload from the command-line options',
    );
  } catch (error) {
    if (error instanceof WorkloadError) {
      throw new UsageError(
        `${error.message.replace(/\.$/, '')}\n  (options set fields: --size → payload.bytes, --messages → messages, --duration → durationMs, --rate → ratePerSecond, --warmup → warmupMessages, --protocol → protocolVersion)`,
      );
    }
    throw error;
  }
}

const WORKLOAD_FIELDS = Object.keys(workloadSchema.in.shape);
const PAYLOAD_FIELDS = [
  ...new Set(workloadSchema.in.shape.payload.options.flatMap((option) => Object.keys(option.shape))),
];

/** A misspelt field of a workload file is named with the field it probably meant. */
function checkFieldNames(workload: Record<string, unknown>, file: string): void {
  const unknown = (object: Record<string, unknown>, known: readonly string[], prefix: string): string[] =>
    Object.keys(object)
      .filter((key) => !known.includes(key))
      .map((key) => `"${prefix}${key}"${didYouMean(key, known, (name) => `"${prefix}${name}"`)}`);
  const problems = unknown(workload, WORKLOAD_FIELDS, '');
  const payload = workload['payload'];
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload))
    problems.push(...unknown(payload as Record<string, unknown>, PAYLOAD_FIELDS, 'payload.'));
  if (problems.length > 0)
    throw new UsageError(
      `${file}: unknown field${problems.length > 1 ? 's' : ''} ${problems.join(', ')} (the fields: ${WORKLOAD_FIELDS.join(', ')}).`,
    );
}

/** Credentials and TLS material for every client of the run (publishers and subscribers share one set). */
function connectOptionsFrom(args: LoadArgs, urls: readonly string[], io: CliIo): IClientOptions | undefined {
  const { username, ca, cert, key } = args.values;
  const userInUrl = urls.find((url) => new URL(url).username !== '');
  const passwordInUrl = urls.some((url) => new URL(url).password !== '');
  if (username !== undefined && userInUrl)
    throw new UsageError(
      `--username ${username} and a user in ${redactUrl(userInUrl)}: give the credentials one way (--username and --password-file, or in the URL).`,
    );
  if (args.values['password-file'] !== undefined && passwordInUrl)
    throw new UsageError('--password-file and a password in the URL: give the password one way.');
  if (args.values['password-file'] !== undefined && username === undefined && !userInUrl)
    throw new UsageError('--password-file needs a user name: add --username NAME.');
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError(
      `--${cert === undefined ? 'key' : 'cert'} needs --${cert === undefined ? 'cert' : 'key'}: a client certificate is a certificate and its key.`,
    );
  if ((ca ?? cert) !== undefined) {
    const plain = urls.find((url) => !/^(mqtts|wss|ssl|tls):/.test(url));
    if (plain)
      throw new UsageError(
        `--${ca !== undefined ? 'ca' : 'cert'} is for TLS, but ${redactUrl(plain)} is not a TLS URL: use mqtts:// or wss://.`,
      );
  }
  const password =
    username !== undefined && !passwordInUrl ? readPassword(args.values['password-file'], io.env, io.cwd) : undefined;
  const options: IClientOptions = {
    ...(username !== undefined ? { username } : {}),
    ...(password ? { password: password.password } : {}),
    ...(ca !== undefined ? { ca: readPemOption('ca', ca, io.cwd) } : {}),
    ...(cert !== undefined ? { cert: readPemOption('cert', cert, io.cwd) } : {}),
    ...(key !== undefined ? { key: readPemOption('key', key, io.cwd) } : {}),
  };
  return Object.keys(options).length > 0 ? options : undefined;
}
