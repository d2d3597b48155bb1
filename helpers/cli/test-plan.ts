/**
 * The options of `mqtt-testbench test` and what they mean as MQTT_TESTBENCH_* settings: checked
 * (bad input is a UsageError or a ConfigError, exit 2, before anything starts) and turned into one
 * `vitest run --project 'suites-*'` per broker, with the environment each run gets.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSettings, mqttUrlProblem, RUNTIME_CHOICES } from '../config/settings.js';
import { loadDeclaration } from '../forwarders/declaration-file.js';
import { readGateFile } from '../gates/gate-file.js';
import { readReport } from '../report/read-report.js';
import { loadReportSettings } from '../report/report-settings.js';
import { redactUrl } from '../security/redact.js';
import { UsageError, type OptionSpecs, type OptionValues } from './args.js';
import type { CliIo } from './command.js';
import { PASSWORD_ENV, readPassword } from './credentials.js';
import { PROFILES_HELP } from './bench.js';
import { DEFAULT_SUITES, parseSuites } from './test-suites.js';
import { freshRunEnv } from './vitest-child.js';

export const TEST_OPTIONS = {
  broker: {
    type: 'string',
    short: 'b',
    multiple: true,
    valueName: 'URL',
    description:
      'a broker to test: mqtt://, mqtts://, ws:// or wss://host:port;\nseveral run one after another, each with its own report',
  },
  downstream: {
    type: 'string',
    valueName: 'URL',
    description: 'downstream broker of a forwarding path (with --upstream)',
  },
  upstream: {
    type: 'string',
    valueName: 'URL',
    description: 'upstream broker of a forwarding path (with --downstream)',
  },
  forwarder: {
    type: 'string',
    short: 'f',
    multiple: true,
    valueName: 'SPEC',
    description:
      'the forwarder: reference, mosquitto-bridge, command:<command line>\n({config} is replaced by its config file) or image:<image> (default:\nreference and mosquitto-bridge)',
  },
  declaration: {
    type: 'string',
    valueName: 'FILE',
    description:
      'what a command:/image: forwarder promises (JSON, see docs/forwarder-\ndeclaration.md); default: a correct forwarder',
  },
  suites: {
    type: 'string',
    short: 's',
    valueName: 'LIST',
    description: `comma list of the suites above, or all\n(default ${DEFAULT_SUITES.join(',')})`,
  },
  profile: { type: 'string', valueName: 'ci|full', description: `workload sizes (default ci): ${PROFILES_HELP}` },
  runtime: {
    type: 'string',
    valueName: RUNTIME_CHOICES.join('|'),
    description: 'how the testbench runs its own brokers and forwarders (default auto)',
  },
  ca: { type: 'string', valueName: 'FILE', description: "PEM of the CA that signed your brokers' certificates" },
  username: { type: 'string', short: 'u', valueName: 'NAME', description: 'user name for your brokers' },
  'password-file': {
    type: 'string',
    valueName: 'FILE',
    description: `file holding the password (its first line);\ndefault $${PASSWORD_ENV}`,
  },
  mqtt5: {
    type: 'string',
    valueName: 'yes|no',
    description: 'your brokers speak MQTT 5 (default yes; no skips those cases)',
  },
  'queues-qos0': {
    type: 'string',
    valueName: 'yes|no',
    description: 'your brokers queue QoS 0 for offline persistent sessions (default no)',
  },
  gates: { type: 'string', valueName: 'FILE', description: 'thresholds laid over fixtures/gates/default.json' },
  baseline: {
    type: 'string',
    valueName: 'FILE',
    description: 'report.json to compare with; a regression fails the run',
  },
  'report-dir': { type: 'string', valueName: 'DIR', description: 'where reports go (default reports/)' },
  strict: { type: 'boolean', description: 'fail, instead of skip, a broker or forwarder that cannot run' },
  'dry-run': { type: 'boolean', description: 'print the plan and exit' },
} as const satisfies OptionSpecs;

export type TestValues = OptionValues<typeof TEST_OPTIONS>;

export interface TestRun {
  title: string;
  env: NodeJS.ProcessEnv;
  vitestArgs: string[];
  reportDir: string;
}

export interface TestPlan {
  runs: TestRun[];
  /** What is printed before the runs start (never a password). */
  text: string;
}

/** The options, checked, as one vitest run per broker: bad input is a UsageError or ConfigError (exit 2). */
export function planTest(values: TestValues, rest: readonly string[], argv: readonly string[], io: CliIo): TestPlan {
  const brokers = (values.broker ?? []).map((url) => checkedUrl('broker', url));
  const downstream = values.downstream === undefined ? undefined : checkedUrl('downstream', values.downstream);
  const upstream = values.upstream === undefined ? undefined : checkedUrl('upstream', values.upstream);
  if ((downstream === undefined) !== (upstream === undefined))
    throw new UsageError(
      `--${downstream === undefined ? 'upstream' : 'downstream'} needs --${downstream === undefined ? 'downstream' : 'upstream'}: a forwarding path is two brokers.`,
    );
  const path = downstream && upstream ? { downstream, upstream } : undefined;
  const forwarders = values.forwarder;
  if (forwarders && brokers.length > 0 && !path)
    throw new UsageError(
      '--forwarder with --broker but no forwarding path: add --downstream URL --upstream URL (the brokers it forwards between), or drop --broker to test it between brokers the testbench starts.',
    );
  const external = brokers.length > 0 || path !== undefined;
  const envExternal = Boolean(
    io.env['MQTT_TESTBENCH_EXTERNAL_URL'] || io.env['MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL'],
  );
  for (const option of ['ca', 'username', 'password-file', 'mqtt5', 'queues-qos0'] as const) {
    if (values[option] !== undefined && !external && !envExternal)
      throw new UsageError(`--${option} is about brokers you name: add --broker URL (or --downstream and --upstream).`);
  }
  const forwarderSpecs = forwarders?.join(',') ?? io.env['MQTT_TESTBENCH_FORWARDER'] ?? '';
  if (values.declaration !== undefined && !/(^|,)\s*(command|image):/.test(forwarderSpecs))
    throw new UsageError(
      '--declaration describes a command: or image: forwarder: add --forwarder command:<command line> or --forwarder image:<image>.',
    );
  const urls = [...brokers, ...(path ? [path.downstream, path.upstream] : [])];
  const userInUrl = urls.some((url) => new URL(url).username !== '');
  if (values.username !== undefined && userInUrl)
    throw new UsageError('--username and a user in a broker URL: give the credentials one way.');
  if (
    values['password-file'] !== undefined &&
    values.username === undefined &&
    !userInUrl &&
    !io.env['MQTT_TESTBENCH_EXTERNAL_USERNAME']
  )
    throw new UsageError('--password-file needs a user name: add --username NAME.');
  const password = readPassword(values['password-file'], io.env, io.cwd);

  const suites = parseSuites(values.suites);
  const reportRoot = resolve(io.cwd, values['report-dir'] ?? loadReportSettings(io.env).reportDir);
  const common: Record<string, string> = {
    MQTT_TESTBENCH_PROFILE: choice('profile', values.profile, ['ci', 'full']) ?? 'ci',
    MQTT_TESTBENCH_COMMAND: ['mqtt-testbench', 'test', ...argv.map((a) => redactUrl(a))].join(' '),
    ...optional('MQTT_TESTBENCH_RUNTIME', choice('runtime', values.runtime, RUNTIME_CHOICES)),
    ...optional('MQTT_TESTBENCH_STRICT', values.strict ? '1' : undefined),
    ...optional('MQTT_TESTBENCH_FORWARDER', forwarders?.join(',')),
    ...optional('MQTT_TESTBENCH_FORWARDER_DECLARATION', existingFile('declaration', values.declaration, io.cwd)),
    ...optional('MQTT_TESTBENCH_GATES', existingFile('gates', values.gates, io.cwd)),
    ...optional('MQTT_TESTBENCH_BASELINE', existingFile('baseline', values.baseline, io.cwd)),
    ...optional('MQTT_TESTBENCH_EXTERNAL_CA', existingFile('ca', values.ca, io.cwd)),
    ...optional('MQTT_TESTBENCH_EXTERNAL_USERNAME', values.username),
    ...optional('MQTT_TESTBENCH_EXTERNAL_MQTT5', yesNo('mqtt5', values.mqtt5)),
    ...optional('MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0', yesNo('queues-qos0', values['queues-qos0'])),
  };
  // The password travels in the child's environment only, never in its command line.
  const secret: Record<string, string> = password ? { [PASSWORD_ENV]: password.password } : {};

  type RunSpec = { title: string; broker?: string; path?: { downstream: string; upstream: string } };
  const specs: RunSpec[] = external
    ? brokers.length > 0
      ? brokers.map((broker, i) => ({ title: redactUrl(broker), broker, ...(i === 0 && path ? { path } : {}) }))
      : [
          {
            title: `${redactUrl(path?.downstream ?? '')} → ${redactUrl(path?.upstream ?? '')}`,
            ...(path ? { path } : {}),
          },
        ]
    : [{ title: 'the brokers the testbench starts' }];

  const runs = specs.map(
    (spec, index): TestRun & { files: string[]; left: string[]; overrides: Record<string, string | undefined> } => {
      const forwarding = !external || spec.path !== undefined;
      const files: string[] = [];
      const left: string[] = [];
      for (const group of suites)
        for (const { file, subject } of group.files) (subject === 'forwarder' && !forwarding ? left : files).push(file);
      if (files.length === 0)
        throw new UsageError(
          `--suites ${values.suites ?? ''}: ${suites.map((s) => s.name).join(', ')} test${suites.length === 1 ? 's' : ''} a forwarder, and ${spec.title} has no forwarding path: add --downstream URL --upstream URL.`,
        );
      const reportDir = specs.length > 1 ? resolve(reportRoot, runFolder(index, spec.broker ?? '')) : reportRoot;
      // Set to undefined: removed from the inherited environment (a URL of an earlier shell must not leak in).
      const overrides: Record<string, string | undefined> = {
        ...(external
          ? {
              MQTT_TESTBENCH_TARGETS: 'external',
              MQTT_TESTBENCH_EXTERNAL_URL: spec.broker,
              MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL: spec.path?.downstream,
              MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL: spec.path?.upstream,
            }
          : {}),
        ...common,
        ...(external && !spec.path ? { MQTT_TESTBENCH_FORWARDER: 'none' } : {}),
        MQTT_TESTBENCH_REPORT_DIR: reportDir,
      };
      const env = freshRunEnv(io.env);
      for (const [name, value] of Object.entries({ ...overrides, ...secret })) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      loadSettings(env); // every setting, also those only in the environment: exit 2 before anything starts
      loadReportSettings(env);
      return {
        title: spec.title,
        env,
        vitestArgs: ['run', '--project', 'suites-*', ...files, ...rest],
        reportDir,
        files,
        left,
        overrides,
      };
    },
  );
  if (values.declaration !== undefined) loadDeclaration(common['MQTT_TESTBENCH_FORWARDER_DECLARATION']);
  if (values.gates !== undefined) readGateFile(common['MQTT_TESTBENCH_GATES'] as string, `--gates ${values.gates}`);
  if (values.baseline !== undefined) readReport(common['MQTT_TESTBENCH_BASELINE'] as string);

  const lines = [
    `mqtt-testbench test · profile ${common['MQTT_TESTBENCH_PROFILE']}${values.strict ? ' · strict' : ''}${runs.length > 1 ? ` · ${runs.length} runs, one per --broker, one after another` : ''}`,
  ];
  for (const [index, run] of runs.entries()) {
    const spec = specs[index] as RunSpec;
    if (runs.length > 1) lines.push(`  run ${index + 1}: ${run.title}`);
    const indent = runs.length > 1 ? '    ' : '  ';
    lines.push(
      `${indent}brokers:     ${spec.broker ? redactUrl(spec.broker) : external ? `${redactUrl(spec.path?.downstream ?? '')} (the downstream broker; no --broker given)` : 'the testbench starts its own (MQTT_TESTBENCH_TARGETS, or every target that can run here)'}`,
      `${indent}forwarding:  ${forwardingText(spec.path, external, run.env)}`,
      `${indent}suites:      ${run.files.map((f) => f.replace(/^suites\/|\.test\.ts$/g, '')).join(', ')}${run.left.length > 0 ? ` (left out, no forwarding path: ${run.left.map((f) => f.replace(/^suites\/|\.test\.ts$/g, '')).join(', ')})` : ''}`,
      `${indent}reports:     ${run.reportDir}`,
      `${indent}same as:     ${equivalentCommand(run.overrides, run.vitestArgs)}`,
    );
  }
  if (external) {
    const credentials = [
      values.username
        ? `user ${values.username}`
        : io.env['MQTT_TESTBENCH_EXTERNAL_USERNAME']
          ? `user from MQTT_TESTBENCH_EXTERNAL_USERNAME`
          : undefined,
      password ? `password from ${password.from} (passed to vitest as ${PASSWORD_ENV}, not shown)` : undefined,
      values.ca ? `CA ${common['MQTT_TESTBENCH_EXTERNAL_CA']}` : undefined,
    ].filter(Boolean);
    if (credentials.length > 0) lines.push(`  credentials: ${credentials.join('; ')}`);
  }
  return {
    runs: runs.map(({ title, env, vitestArgs, reportDir }) => ({ title, env, vitestArgs, reportDir })),
    text: lines.join('\n'),
  };
}

function forwardingText(
  path: { downstream: string; upstream: string } | undefined,
  external: boolean,
  env: NodeJS.ProcessEnv,
): string {
  const forwarders = env['MQTT_TESTBENCH_FORWARDER'] ?? 'reference,mosquitto-bridge';
  if (external && !path) return 'none (no --downstream/--upstream): single-broker suites only';
  const declaration = env['MQTT_TESTBENCH_FORWARDER_DECLARATION'];
  const via = `${forwarders}${declaration ? ` (declared in ${declaration})` : ''}`;
  return path
    ? `${redactUrl(path.downstream)} → ${via} → ${redactUrl(path.upstream)}`
    : `${via} between the testbench's brokers`;
}

/** The same run as environment variables and vitest, for a CI file or to learn the settings. */
function equivalentCommand(overrides: Record<string, string | undefined>, vitestArgs: readonly string[]): string {
  const quote = (text: string): string => (/^[\w./:@,=+-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
  const variables = Object.entries(overrides)
    .filter(([name, value]) => value !== undefined && name !== 'MQTT_TESTBENCH_COMMAND')
    .map(([name, value]) => `${name}=${quote(redactUrl(value as string))}`);
  return [...variables, 'npx vitest', ...vitestArgs.map(quote)].join(' ');
}

function checkedUrl(option: string, url: string): string {
  const problem = mqttUrlProblem(url);
  if (problem) throw new UsageError(`--${option} ${redactUrl(url)} ${problem}`);
  return url;
}

function choice<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${option} ${value} is not allowed: use one of ${allowed.join(', ')}.`);
}

function yesNo(option: string, value: string | undefined): '1' | '0' | undefined {
  const answer = choice(option, value, ['yes', 'no']);
  return answer === undefined ? undefined : answer === 'yes' ? '1' : '0';
}

/** An absolute path to a file that exists, or a UsageError naming the option. */
function existingFile(option: string, value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  const path = resolve(cwd, value);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    throw new UsageError(
      `--${option} ${value} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  if (!isFile) throw new UsageError(`--${option} ${value} is not a file.`);
  return path;
}

function optional(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}

/** `1-127.0.0.1-1883`: a report folder per broker that says which one it is. */
function runFolder(index: number, url: string): string {
  const parsed = new URL(url);
  return `${index + 1}-${parsed.hostname}-${parsed.port || parsed.protocol.replace(':', '')}`.replace(/[^\w.-]+/g, '_');
}
