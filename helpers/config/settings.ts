import { statSync } from 'node:fs';
import { redactUrl } from '../security/redact.js';
import type { Profile, RuntimeChoice, Settings, SettingSpec } from '../model/index.js';
import { TARGET_NAMES, TARGET_SETTINGS, type TargetName } from '../targets/catalog.js';
import { ConfigError } from './errors.js';

/**
 * Every MQTT_TESTBENCH_* setting, read and validated once at the edge: the ones of the harness
 * (here) and the ones each target declares in its folder (its image, its binary), which reach this
 * file through the target catalog. The table in docs/configuration.md lists the same names (a unit
 * test checks that it does).
 */

export const RUNTIME_CHOICES = ['auto', 'container', 'process', 'embedded'] as const satisfies readonly RuntimeChoice[];

export const PROFILES = ['ci', 'full'] as const satisfies readonly Profile[];

export const DEFAULT_NODE_IMAGE = 'node:20-bookworm-slim';

/** Documentation of every setting of the harness; the targets' own are in their folders (TARGET_SETTINGS). */
const HARNESS_SETTING_SPECS: readonly SettingSpec[] = [
  {
    name: 'MQTT_TESTBENCH_RUNTIME',
    defaultText: 'auto',
    description:
      "auto | container | process | embedded. auto: container when Docker answers and a selected target's image is there, else process when a selected target's binary is found, else embedded.",
  },
  {
    name: 'MQTT_TESTBENCH_TARGETS',
    defaultText: 'every target that can run here',
    description: `Comma list of ${TARGET_NAMES.join(', ')}.`,
  },
  {
    name: 'MQTT_TESTBENCH_STRICT',
    defaultText: '0',
    description: '1: a selected target or forwarder that cannot run fails the run instead of being skipped.',
  },
  {
    name: 'MQTT_TESTBENCH_PROFILE',
    defaultText: 'ci (npm test), full (npm run bench)',
    description: 'Workload sizes: ci or full.',
  },
  {
    name: 'MQTT_TESTBENCH_NODE_IMAGE',
    defaultText: DEFAULT_NODE_IMAGE,
    description: 'Node image the reference forwarder container runs on.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_URL',
    defaultText: '(unset)',
    description:
      'URL of an already running broker for the external target (single-broker suites); credentials as mqtt://user:password@host:port are passed as client options and never shown.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL',
    defaultText: '(unset)',
    description: 'Downstream broker URL for the external forwarding topology.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL',
    defaultText: '(unset)',
    description: 'Upstream broker URL for the external forwarding topology.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_USERNAME',
    defaultText: '(unset)',
    description: 'User name for the external brokers whose URL carries none.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_PASSWORD',
    defaultText: '(unset)',
    description:
      'Password for the external brokers whose URL carries none (needs a user name); also read by `mqtt-testbench load`. Never written to logs or reports, never passed in a command line.',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_CA',
    defaultText: '(unset: the system CAs)',
    description: "PEM file of the CA that signed the external brokers' TLS certificates (mqtts://, wss://).",
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0',
    defaultText: '0',
    description:
      '1 if the external broker queues QoS 0 messages for offline persistent sessions (the clean-session suite asserts what you state).',
  },
  {
    name: 'MQTT_TESTBENCH_EXTERNAL_MQTT5',
    defaultText: '1',
    description: '0 if the external broker does not speak MQTT 5 (its MQTT 5 cases are then skipped with that reason).',
  },
  {
    name: 'MQTT_TESTBENCH_FORWARDER',
    defaultText: 'reference,mosquitto-bridge',
    description:
      'Comma list of forwarders for the forwarding slot: reference, mosquitto-bridge, image:<name>, command:<command line>; none: no forwarding topology (single-broker suites only).',
  },
  {
    name: 'MQTT_TESTBENCH_FORWARDER_DECLARATION',
    defaultText: '(unset: expect a correct forwarder)',
    description:
      'JSON file declaring what an image:/command: forwarder promises; see fixtures/forwarders/*.declaration.json, docs/forwarder-declaration.md.',
  },
  {
    name: 'MQTT_TESTBENCH_SECURE_PASSWORD',
    defaultText: '(unset: random per run)',
    description:
      "Password of the mosquitto-secure target's user mqtt-testbench (8-128 printable ASCII characters, no spaces); set it to connect your own tools to a secured broker while debugging. Never written to logs or reports.",
  },
  {
    name: 'MQTT_TESTBENCH_STARTUP_TIMEOUT_MS',
    defaultText: '60000',
    description: 'Budget for a broker or forwarder to become ready (EMQX gets at least 120000).',
  },
  {
    name: 'MQTT_TESTBENCH_PROBE_TIMEOUT_MS',
    defaultText: '10000',
    description: 'Budget for one MQTT readiness probe.',
  },
  {
    name: 'MQTT_TESTBENCH_GATES',
    defaultText: '(unset: fixtures/gates/default.json only)',
    description: 'JSON file of thresholds laid over fixtures/gates/default.json (same shape).',
  },
  {
    name: 'MQTT_TESTBENCH_REPORT_DIR',
    defaultText: 'reports',
    description: 'Where reports are written (latest/ and one folder per run).',
  },
  // Read by the report layer (helpers/report/settings.ts), which validates them when the reporter starts.
  {
    name: 'MQTT_TESTBENCH_BASELINE',
    defaultText: '(unset: no comparison)',
    description:
      'A report.json to compare this run with (npm run bench -- --baseline FILE sets it); a regression beyond tolerance fails the run.',
  },
  {
    name: 'MQTT_TESTBENCH_BASELINE_FORCE',
    defaultText: '0',
    description:
      '1: compare with the baseline even when the environments differ (runtime, CPU count, profile, broker versions).',
  },
  {
    name: 'MQTT_TESTBENCH_BASELINE_TOLERANCES',
    defaultText: 'fixtures/baselines/tolerances.json if present, else built-in',
    description:
      'JSON file with the regression tolerances (latency and throughput relative, loss absolute), with per-scenario overrides.',
  },
  {
    name: 'MQTT_TESTBENCH_PROGRESS',
    defaultText: 'auto',
    description:
      'auto | tty | plain | off: live progress of long scenarios; auto = a live line in the terminal, plain periodic lines when not a terminal (CI).',
  },
  {
    name: 'MQTT_TESTBENCH_PROGRESS_INTERVAL_MS',
    defaultText: '10000',
    description: 'How often a plain progress line is printed per running scenario.',
  },
];

/** Documentation of every setting (the harness's and every target's); the table in docs/configuration.md is checked against it. */
export const SETTING_SPECS: readonly SettingSpec[] = [...HARNESS_SETTING_SPECS, ...TARGET_SETTINGS];

type Env = Readonly<Record<string, string | undefined>>;

class SettingsReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${value} is not allowed: use one of ${choices.join(', ')}.`);
    return fallback;
  }

  list<T extends string>(name: string, choices: readonly T[]): T[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = items.filter((item) => !(choices as readonly string[]).includes(item));
    if (unknown.length > 0) {
      this.problems.push(
        `${name} names unknown ${unknown.length === 1 ? 'entry' : 'entries'} ${unknown.join(', ')}: allowed are ${choices.join(', ')}.`,
      );
      return undefined;
    }
    if (items.length === 0) {
      this.problems.push(`${name} is set but empty: list at least one of ${choices.join(', ')}, or unset it.`);
      return undefined;
    }
    return [...new Set(items)] as T[];
  }

  flag(name: string): boolean {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
    this.problems.push(`${name}=${value} is not a flag: use 1 or 0.`);
    return false;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) {
      this.problems.push(`${name}=${value} is not a whole number: use an integer between ${min} and ${max}.`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      this.problems.push(`${name}=${value} is out of range: use an integer between ${min} and ${max}.`);
      return fallback;
    }
    return n;
  }

  /** An image reference as `docker pull` takes it: `[registry/]name[:tag][@digest]`, no blanks. */
  image(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (IMAGE_REFERENCE.test(value)) return value;
    this.problems.push(`${name}=${value} is not an image reference: use name[:tag], e.g. eclipse-mosquitto:2.0.22.`);
    return undefined;
  }

  /** A secret: checked against `pattern`, and a problem never quotes the value. */
  secret(name: string, pattern: RegExp, allowed: string): string | undefined {
    const value = this.env[name];
    if (value === undefined || value === '') return undefined;
    if (pattern.test(value)) return value;
    this.problems.push(`${name} is set but not usable as a password (its value is not shown): use ${allowed}.`);
    return undefined;
  }

  url(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const problem = mqttUrlProblem(value);
    if (problem === undefined) return value;
    this.problems.push(`${name}=${redactUrl(value)} ${problem}`);
    return undefined;
  }

  /** A path to a file that must exist and be readable now (it is read when a broker starts). */
  file(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      if (statSync(value).isFile()) return value;
      this.problems.push(`${name}=${value} is not a file: give the path of a file.`);
    } catch (error) {
      this.problems.push(
        `${name}=${value} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of an existing file.`,
      );
    }
    return undefined;
  }

  forwarders(name: string, fallback: string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'none') return [];
    // command: may contain commas inside its command line, so split only before a known kind.
    const items = value
      .split(/,(?=\s*(?:reference|mosquitto-bridge|image:|command:))/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const isForwarder = (item: string) =>
      item === 'reference' || item === 'mosquitto-bridge' || /^image:\S+$/.test(item) || /^command:.+$/.test(item);
    for (const item of items) {
      if (isForwarder(item)) continue;
      // "reference,paho" stays one item (only a known kind starts a new one): name the bad part.
      const bad = item.includes(',')
        ? item
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '' && !isForwarder(s))
        : [item];
      for (const part of bad.length > 0 ? bad : [item]) {
        this.problems.push(
          `${name} entry "${part}" is not a forwarder: use reference, mosquitto-bridge, image:<image name> or command:<command line> (or none alone, for no forwarding topology).`,
        );
      }
    }
    return items;
  }
}

/** `[registry[:port]/]path[:tag][@sha256:…]`, lower case path, as Docker accepts it. */
const IMAGE_REFERENCE =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** The target settings that are set, each validated by its kind. */
function readTargetSettings(read: SettingsReader): Record<string, string> {
  const values: Record<string, string> = {};
  for (const spec of TARGET_SETTINGS) {
    const value = spec.kind === 'image' ? read.image(spec.name) : read.raw(spec.name);
    if (value !== undefined) values[spec.name] = value;
  }
  return values;
}

export function loadSettings(env: Env = process.env): Settings {
  const read = new SettingsReader(env);
  const settings: Settings = {
    runtime: read.oneOf('MQTT_TESTBENCH_RUNTIME', RUNTIME_CHOICES, 'auto'),
    targets: read.list<TargetName>('MQTT_TESTBENCH_TARGETS', TARGET_NAMES),
    strict: read.flag('MQTT_TESTBENCH_STRICT'),
    profile: read.oneOf('MQTT_TESTBENCH_PROFILE', PROFILES, 'ci'),
    targetSettings: readTargetSettings(read),
    nodeImage: read.image('MQTT_TESTBENCH_NODE_IMAGE') ?? DEFAULT_NODE_IMAGE,
    externalUrl: read.url('MQTT_TESTBENCH_EXTERNAL_URL'),
    externalDownstreamUrl: read.url('MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL'),
    externalUpstreamUrl: read.url('MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL'),
    externalUsername: read.raw('MQTT_TESTBENCH_EXTERNAL_USERNAME'),
    externalPassword: read.secret(
      'MQTT_TESTBENCH_EXTERNAL_PASSWORD',
      /^[^\r\n]{1,65535}$/,
      'one line of at most 65535 characters',
    ),
    externalCaFile: read.file('MQTT_TESTBENCH_EXTERNAL_CA'),
    externalQueuesQos0: read.flag('MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0'),
    externalMqtt5:
      read.raw('MQTT_TESTBENCH_EXTERNAL_MQTT5') === undefined ? true : read.flag('MQTT_TESTBENCH_EXTERNAL_MQTT5'),
    forwarders: read.forwarders('MQTT_TESTBENCH_FORWARDER', ['reference', 'mosquitto-bridge']),
    forwarderDeclaration: read.raw('MQTT_TESTBENCH_FORWARDER_DECLARATION'),
    securePassword: read.secret(
      'MQTT_TESTBENCH_SECURE_PASSWORD',
      /^[\x21-\x7e]{8,128}$/,
      '8 to 128 printable ASCII characters without spaces',
    ),
    startupTimeoutMs: read.integer('MQTT_TESTBENCH_STARTUP_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
    probeTimeoutMs: read.integer('MQTT_TESTBENCH_PROBE_TIMEOUT_MS', 10_000, 100, 600_000),
    reportDir: read.raw('MQTT_TESTBENCH_REPORT_DIR') ?? 'reports',
    gatesFile: read.raw('MQTT_TESTBENCH_GATES'),
  };
  if (
    settings.targets?.includes('external') &&
    !settings.externalUrl &&
    !(settings.externalDownstreamUrl && settings.externalUpstreamUrl)
  ) {
    read.problems.push(
      'MQTT_TESTBENCH_TARGETS includes external but no broker URL is set: set MQTT_TESTBENCH_EXTERNAL_URL, and for the forwarding topology MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL and MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL.',
    );
  }
  if (Boolean(settings.externalDownstreamUrl) !== Boolean(settings.externalUpstreamUrl)) {
    read.problems.push(
      'Only one of MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL and MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL is set: the forwarding topology needs both.',
    );
  }
  if (settings.externalPassword !== undefined && settings.externalUsername === undefined) {
    const urls = [settings.externalUrl, settings.externalDownstreamUrl, settings.externalUpstreamUrl];
    if (!urls.some((url) => url !== undefined && new URL(url).username !== ''))
      read.problems.push(
        'MQTT_TESTBENCH_EXTERNAL_PASSWORD is set but no user name is: set MQTT_TESTBENCH_EXTERNAL_USERNAME (or give the user in the broker URL, mqtt://user@host:port).',
      );
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return settings;
}

/** Settings whose values are secrets: never shown, and scrubbed from every report file. */
export const SECRET_SETTINGS = ['MQTT_TESTBENCH_SECURE_PASSWORD', 'MQTT_TESTBENCH_EXTERNAL_PASSWORD'] as const;

/** The secret values set in `env` (for the reporter's last line of defence). */
export function configuredSecrets(env: Env): string[] {
  return SECRET_SETTINGS.map((name) => env[name]).filter((value): value is string => Boolean(value));
}

const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];

/**
 * Why `value` is not a broker URL (`is not a URL: use ...`), or undefined when it is one. The one
 * rule for broker URLs, in settings and command-line options alike.
 */
export function mqttUrlProblem(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return 'is not a URL: use mqtt://host:port (or mqtts://, ws://, wss://).';
  }
  if (!MQTT_PROTOCOLS.includes(parsed.protocol))
    return `has protocol ${parsed.protocol} which is not MQTT: use mqtt://, mqtts://, ws:// or wss://.`;
  if (parsed.hostname === '') return 'names no host: use mqtt://host:port.';
  return undefined;
}
