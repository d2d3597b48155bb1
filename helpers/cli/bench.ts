/**
 * `mqtt-testbench bench`: the whole vitest run (unit tests and suites) with the full profile,
 * compared with a baseline when one is given. Everything it does not know goes to vitest.
 */
import { resolve } from 'node:path';
import { loadSettings } from '../config/settings.js';
import { readReport } from '../report/read-report.js';
import { loadReportSettings } from '../report/report-settings.js';
import { UsageError } from './args.js';
import { defineCommand } from './command.js';
import { checkedTolerances } from './reports.js';
import { freshRunEnv, packageRoot, runVitest } from './vitest-child.js';

export const PROFILES_HELP = 'ci (minutes, gating) or full (the benchmark, ~40 min)';

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'run the benchmark: every suite with the full profile (about 40 min on 2 cores)',
  usage: ['bench [--baseline FILE] [--force-baseline] [--tolerances FILE] [--profile ci|full] [vitest args...]'],
  description: `Runs the tests (vitest run) with the full profile against the brokers the testbench starts.
With --baseline, every scenario is compared with that report.json and a regression beyond
tolerance fails the run. Arguments it does not know go to vitest, e.g.
"mqtt-testbench bench suites/forwarding-loss -t heavy" ("-- --help" shows vitest's options).`,
  options: {
    baseline: { type: 'string', valueName: 'FILE', description: 'report.json to compare with' },
    'force-baseline': { type: 'boolean', description: 'compare even when the environments differ' },
    tolerances: { type: 'string', valueName: 'FILE', description: 'regression tolerances (JSON)' },
    profile: { type: 'string', valueName: 'ci|full', description: `workload sizes: ${PROFILES_HELP}` },
  },
  parse: { rest: 'unknown' },
  async run(args, io) {
    const env = freshRunEnv(io.env);
    const profile = args.values.profile ?? 'full';
    if (!['ci', 'full'].includes(profile))
      throw new UsageError(`--profile ${profile} is not a profile: use ci or full.`);
    env['MQTT_TESTBENCH_PROFILE'] = profile;
    const baseline = args.values.baseline;
    if (baseline) {
      const path = resolve(io.cwd, baseline);
      readReport(path); // fail before an hour of benchmarking, not after it
      env['MQTT_TESTBENCH_BASELINE'] = path;
    }
    if (args.values['force-baseline']) env['MQTT_TESTBENCH_BASELINE_FORCE'] = '1';
    const tolerances = args.values.tolerances;
    if (tolerances) {
      checkedTolerances(tolerances, io.cwd);
      env['MQTT_TESTBENCH_BASELINE_TOLERANCES'] = resolve(io.cwd, tolerances);
    }
    // Every setting is checked here too, so a typo stops the command before vitest starts.
    loadSettings(env);
    loadReportSettings(env);
    env['MQTT_TESTBENCH_COMMAND'] = ['mqtt-testbench', 'bench', ...args.argv].join(' ');
    const vitestArgs = ['run', ...args.positionals, ...args.rest];
    io.err(
      `mqtt-testbench bench: vitest ${vitestArgs.join(' ')} (profile ${profile}${baseline ? `, baseline ${baseline}` : ''})`,
    );
    return runVitest(vitestArgs, { cwd: packageRoot(), env });
  },
});
