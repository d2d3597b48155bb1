/**
 * `mqtt-testbench test`: the suites (never the harness's own tests) against what the user names:
 * brokers by URL, a forwarding path, a forwarder. The options are mapped onto the
 * MQTT_TESTBENCH_* settings (helpers/config/settings.ts stays the one place they are defined and
 * checked), the plan is printed, and `vitest run --project 'suites-*'` runs once per broker.
 */
import { defineCommand } from './command.js';
import { PASSWORD_ENV } from './credentials.js';
import { planTest, TEST_OPTIONS } from './test-plan.js';
import { suitesHelp } from './test-suites.js';
import { packageRoot, runVitest } from './vitest-child.js';

export const testCommand = defineCommand({
  name: 'test',
  summary: 'run the suites against your broker, forwarding path or forwarder',
  usage: [
    'test --broker URL [--broker URL...] [options]',
    'test --downstream URL --upstream URL [--forwarder SPEC] [options]',
    'test --forwarder SPEC [options]        (between brokers the testbench starts)',
  ],
  description: `Runs the behaviour and measuring suites (not the harness's own tests) against what you name,
prints the plan first, and writes report.json, report.md, report.html and junit.xml.
  --broker        the single-broker suites against that broker (no forwarder).
  --downstream/--upstream
                  also the forwarding suites through the forwarder(s) between those brokers
                  (with --broker, in the first broker's run).
  --forwarder     alone: your forwarder between the brokers the testbench starts.
Nothing named: the suites against the brokers the testbench starts (as npm test does).
A password is never an option: --password-file or $${PASSWORD_ENV}. Settings not
covered by an option are read from MQTT_TESTBENCH_* variables as in npm test; options win.
Arguments after "--" go to vitest (e.g. -- -t "late subscriber").

Suites:
${suitesHelp()}`,
  options: TEST_OPTIONS,
  parse: { rest: 'after-dashes', maxPositionals: 0 },
  examples: [
    'mqtt-testbench test --broker mqtt://localhost:1883 --suites qos,retain',
    'mqtt-testbench test -b mqtts://broker:8883 --ca ca.pem -u alice --password-file pw.txt',
    "mqtt-testbench test --downstream mqtt://localhost:1883 --upstream mqtt://localhost:1884 \\\n    --forwarder 'command:./my-forwarder -c {config}' --declaration my-forwarder.json",
  ],
  exitCodes:
    '0 every suite passed; 1 a verdict failed (a test, a gate, a baseline); 2 bad input,\nbefore anything starts.',
  async run(args, io) {
    const plan = planTest(args.values, args.rest, args.argv, io);
    io.out(plan.text);
    if (args.values['dry-run']) return 0;
    const codes: number[] = [];
    for (const [index, run] of plan.runs.entries()) {
      if (plan.runs.length > 1) io.out(`\n── run ${index + 1} of ${plan.runs.length}: ${run.title}`);
      const code = await runVitest(run.vitestArgs, { cwd: packageRoot(), env: run.env });
      codes.push(code);
      if (code >= 128) break; // interrupted: the other runs are not started
    }
    if (plan.runs.length > 1)
      io.out(
        `\nmqtt-testbench test: ${plan.runs.map((run, i) => `${run.title}: ${verdictOf(codes[i])} (${run.reportDir})`).join('; ')}`,
      );
    const interrupted = codes.find((code) => code >= 128);
    if (interrupted !== undefined) return interrupted;
    return codes.every((code) => code === 0) ? 0 : 1;
  },
});

function verdictOf(code: number | undefined): string {
  return code === undefined ? 'not run' : code === 0 ? 'passed' : code >= 128 ? 'interrupted' : 'failed';
}
