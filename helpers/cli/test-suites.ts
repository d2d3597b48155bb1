/**
 * The suites `mqtt-testbench test` runs, by short name. Each file says whether it tests a broker
 * (single-broker suites), a forwarder (forwarding topologies) or both; the harness's own tests
 * (selftest, harness-*, security of the testbench's own secured Mosquitto) are not among them.
 */
import { UsageError } from './args.js';
import { closest } from './suggest.js';

export type SuiteSubject = 'broker' | 'forwarder' | 'both';

export interface SuiteFile {
  file: string;
  subject: SuiteSubject;
}

export interface SuiteGroup {
  name: string;
  description: string;
  files: readonly SuiteFile[];
  /** Part of the default selection (the others are long benchmarks). */
  byDefault: boolean;
}

export const SUITE_GROUPS: readonly SuiteGroup[] = [
  {
    name: 'smoke',
    description: 'every broker and forwarding path starts and forwards one message',
    files: [{ file: 'suites/smoke.test.ts', subject: 'both' }],
    byDefault: true,
  },
  {
    name: 'qos',
    description: 'QoS 0..2 publish x subscribe matrix, MQTT 3.1.1 and 5',
    files: [{ file: 'suites/qos-matrix.test.ts', subject: 'both' }],
    byDefault: true,
  },
  {
    name: 'retain',
    description: 'retained messages: late subscribers, clearing, wildcards, MQTT 5 options',
    files: [
      { file: 'suites/retain.test.ts', subject: 'broker' },
      { file: 'suites/retain-forwarder.test.ts', subject: 'forwarder' },
    ],
    byDefault: true,
  },
  {
    name: 'session',
    description: 'clean and persistent sessions, offline queueing, session expiry',
    files: [
      { file: 'suites/clean-session.test.ts', subject: 'broker' },
      { file: 'suites/clean-session-forwarder.test.ts', subject: 'forwarder' },
    ],
    byDefault: true,
  },
  {
    name: 'loss',
    description: 'forwarding loss, duplicates, order, latency and throughput, gated',
    files: [{ file: 'suites/forwarding-loss.test.ts', subject: 'both' }],
    byDefault: true,
  },
  {
    name: 'faults',
    description: 'kill, restart and pause of the forwarder (and of brokers the testbench starts)',
    files: [{ file: 'suites/faults.test.ts', subject: 'forwarder' }],
    byDefault: true,
  },
  {
    name: 'load',
    description: 'throughput, mqtt-bench 1,000 clients, maximum sustainable rate',
    files: [
      { file: 'suites/load-throughput.test.ts', subject: 'broker' },
      { file: 'suites/load-mqtt-bench.test.ts', subject: 'broker' },
      { file: 'suites/load-max-rate.test.ts', subject: 'both' },
    ],
    byDefault: false,
  },
  {
    name: 'micro',
    description: 'round-trip micro-benchmarks (tinybench)',
    files: [{ file: 'suites/micro.test.ts', subject: 'both' }],
    byDefault: false,
  },
];

export const DEFAULT_SUITES = SUITE_GROUPS.filter((g) => g.byDefault).map((g) => g.name);

/** `qos,retain` or `all` → the groups, in the order of SUITE_GROUPS; a UsageError names an unknown one. */
export function parseSuites(list: string | undefined): SuiteGroup[] {
  if (list === undefined) return SUITE_GROUPS.filter((g) => g.byDefault);
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`--suites is empty: name at least one of ${suiteNames()}.`);
  if (names.includes('all')) return [...SUITE_GROUPS];
  const known = SUITE_GROUPS.map((g) => g.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    const hint = closest(name, known);
    throw new UsageError(
      `--suites: "${name}" is not a suite${hint ? `; did you mean "${hint}"?` : '.'} The suites: ${suiteNames()}.`,
    );
  }
  return SUITE_GROUPS.filter((g) => names.includes(g.name));
}

function suiteNames(): string {
  return `${SUITE_GROUPS.map((g) => g.name).join(', ')} (or all)`;
}

/** The help's table of suites. */
export function suitesHelp(): string {
  const width = Math.max(...SUITE_GROUPS.map((g) => g.name.length)) + 2;
  return SUITE_GROUPS.map(
    (g) => `  ${g.name.padEnd(width)}${g.description}${g.byDefault ? '' : ' (not by default)'}`,
  ).join('\n');
}
