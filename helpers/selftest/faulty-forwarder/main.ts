/**
 * The faulty forwarder: a `command:` forwarder for the self-test (suites/selftest-forwarder.test.ts)
 * that reads the testbed's forwarder config (the original schema) and forwards like a correct
 * forwarder, except for one deliberate defect per run (modes.ts). Bundled to
 * dist/selftest-faulty-forwarder.mjs by `npm run build`:
 *
 *   node dist/selftest-faulty-forwarder.mjs --mode <mode> [--every N] <config.json>
 *
 * It prints `faulty-forwarder ready` once connected and subscribed, and a summary line of what it
 * did when it stops (SIGTERM/SIGINT: exit 0). With MQTT_TESTBENCH_FAULTY_FORWARDER_STATS set to a
 * folder it also writes its figures per topic there (stats.ts), which survive a kill -9 up to the
 * last 50 ms. Exit 2: bad arguments, config or stats folder; exit 1: a runtime failure.
 */
import { readConfig, type FaultyForwarderConfig } from './config.js';
import { startForwarding, type Log, type RunningForwarder } from './forwarding.js';
import { parseArgs, USAGE, UsageError } from './args.js';
import { describeMode, Misbehaviour, type ModeSpec } from './modes.js';
import { statsDirFromEnv, StatsRecorder } from './stats.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const log: Log = {
  info: (line) => process.stdout.write(`faulty-forwarder: ${line}\n`),
  error: (line) => process.stderr.write(`faulty-forwarder: error: ${line}\n`),
};

async function main(): Promise<void> {
  let spec: ModeSpec;
  let stats: StatsRecorder;
  let misbehaviour: Misbehaviour;
  let config: FaultyForwarderConfig;
  try {
    const args = parseArgs(process.argv.slice(2));
    spec = args.spec;
    misbehaviour = new Misbehaviour(spec);
    config = readConfig(args.configPath);
    stats = new StatsRecorder(spec.mode, describeMode(spec), statsDirFromEnv(process.env));
  } catch (error) {
    // Everything above checks input: arguments, the config file, the stats folder.
    const usage = error instanceof UsageError ? `\n${USAGE}` : '';
    log.error(`${error instanceof Error ? error.message : String(error)}${usage}`);
    process.exit(EXIT_USAGE);
  }
  stats.flush(); // the file exists from the start, so a process that forwarded nothing still shows up
  process.on('uncaughtException', (error) => {
    log.error(`uncaught exception: ${error.stack ?? error.message}`);
    stats.flush();
    process.exit(EXIT_FAILURE);
  });
  const running: RunningForwarder = await startForwarding(config, misbehaviour, stats, log);
  log.info(
    `ready: ${describeMode(spec)}; ${config.rules.length} rule(s), MQTT ${config.protocolVersion === 5 ? '5' : '3.1.1'}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(EXIT_FAILURE); // a second signal: give up at once
    stopping = true;
    running.stop().then(
      () => {
        stats.flush();
        log.info(`stopped on ${signal}: ${spec.mode}: ${stats.summary()}`);
        process.exit(0);
      },
      (error: unknown) => {
        stats.flush();
        log.error(`stopping on ${signal} failed: ${String(error)}`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  log.error(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(EXIT_FAILURE);
});
