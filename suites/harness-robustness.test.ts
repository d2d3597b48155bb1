/**
 * Harness robustness, inside the test process: a broker that dies under a running load makes the
 * run end within a bound with errors that name what died; a start that fails half-way leaves
 * nothing behind (a topology whose upstream broker cannot start, a forwarder that exits at once),
 * and fails fast with what failed instead of running into its whole budget. The cleanup of a whole
 * run (SIGINT, concurrent runs, bad settings) is tested with real child runs in
 * harness-cleanup.test.ts.
 */
import { skipTest, runPlan, runSettings } from '../helpers/vitest/index.js';
import { describe, expect, onTestFinished, test } from 'vitest';
import { commandForwarder, DEFAULT_DECLARATION, referenceForwarder } from '../helpers/forwarders/index.js';
import { nowUs, runLoad, type LoadResult } from '../helpers/load/index.js';
import { withTimeout, inResourceScope, shortRunId, uniqueName } from '../helpers/runtime/index.js';
import { EMQX_IMAGE, targetByName } from '../helpers/targets/index.js';
import {
  runResources,
  deadComponents,
  describeLoadErrors,
  testTopicPrefix,
  startTopology,
} from '../helpers/testbed/index.js';
import { connectOptionsFor } from '../helpers/security/index.js';

const plan = runPlan();
const settings = runSettings();
/** A target of this run that the testbench starts itself (an external broker cannot be killed). */
const ownTarget = plan.targets.find((t) => t.status === 'ready' && t.runtime !== 'external');
const ownTopology = plan.topologies.find((t) => t.status === 'ready' && t.runtime !== 'external');
/**
 * After a kill, the load run ends once its drain has seen no progress for drainIdleMs (3 s by
 * default) and its clients are closed (at most 2 s each, in parallel): 10 s is the bound.
 */
const RUN_END_BOUND_MS = 10_000;
/** A forwarder that exits at once must fail the topology start this fast, not after the 60 s startup budget. */
const FAST_FAILURE_MS = 15_000;
const MISSING_IMAGE = 'local/mqtt-testbench-missing-image:0';

describe('harness robustness', { timeout: 60_000 }, () => {
  test('a broker killed under a running load without reconnect ends the run within 10 s, with errors that name the broker and how it died', async (ctx) => {
    if (!ownTarget)
      return skipTest(
        ctx,
        'capability',
        'no broker of this run is started by the testbench (external targets cannot be killed)',
      );
    const broker = await targetByName(ownTarget.name).start({ runtime: ownTarget.runtime, settings });
    onTestFinished(() => broker.dispose());
    if (!broker.faults.supported.has('kill'))
      return skipTest(ctx, 'capability', `${broker.label} cannot be killed by the testbench`);
    const prefix = testTopicPrefix('died');
    let killedAtUs: number | undefined;
    let kill: Promise<void> | undefined;
    const load = runLoad({
      publishUrl: broker.url,
      subscribeUrl: broker.url,
      connectOptions: connectOptionsFor(broker),
      // The suites' defaults: no reconnect, drainIdleMs 3 s; a stream far longer than the bound.
      workload: {
        name: 'broker-dies',
        publishers: 1,
        subscribers: 1,
        qos: 1,
        payload: { kind: 'fixed', bytes: 256 },
        durationMs: 60_000,
        ratePerSecond: 500,
      },
      topicFor: () => `${prefix}/p`,
      subscribeFilter: `${prefix}/#`,
      clientIdPrefix: `mtb-${shortRunId()}-${uniqueName('die')}`,
      signal: ctx.signal,
      onPeriod: (period) => {
        if (kill || period.received === 0) return;
        killedAtUs = nowUs();
        kill = broker.faults.kill();
      },
    });
    let result: LoadResult | undefined;
    let hang: string | undefined;
    try {
      result = await withTimeout(load, 5_000 + RUN_END_BOUND_MS, () => new Error('hang'));
    } catch (error) {
      hang = error instanceof Error ? error.message : String(error);
    }
    await kill;
    expect(
      killedAtUs,
      `the stream to ${broker.label} never delivered a message, so the broker was never killed`,
    ).toBeDefined();
    expect(
      hang,
      `runLoad against ${broker.label} did not end within ${RUN_END_BOUND_MS} ms after the broker was killed (it ${hang === 'hang' ? 'hung' : `failed: ${hang}`})`,
    ).toBeUndefined();
    const endedAfterKillMs = Math.round((nowUs() - (killedAtUs ?? 0)) / 1000);
    expect(
      endedAfterKillMs,
      `runLoad ended ${endedAfterKillMs} ms after ${broker.label} was killed; the bound is ${RUN_END_BOUND_MS} ms`,
    ).toBeLessThanOrEqual(RUN_END_BOUND_MS);

    const load2 = result as LoadResult;
    const clientErrors = load2.errors.map((e) => `${e.source} ${e.clientId}: ${e.message}`);
    expect(clientErrors, 'the load run must say which of its clients lost their connection').toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^publisher .*connection closed during the run/),
        expect.stringMatching(/^subscriber .*connection closed during the run/),
      ]),
    );
    const explained = await describeLoadErrors(load2, { publishers: broker, subscribers: broker });
    expect(explained, 'the explanation must name the broker and say that it is not running').toContain(
      `${broker.label} is not running:`,
    );
    expect(explained).toMatch(ownTarget.runtime === 'embedded' ? /closed/ : /SIGKILL|exit code 137/);
  });

  test('a topology whose upstream broker cannot start (its image is not on this machine) fails with that reason and removes the downstream broker and the network', async (ctx) => {
    const mosquitto = plan.targets.find(
      (t) => t.name === 'mosquitto' && t.status === 'ready' && t.runtime === 'container',
    );
    if (!mosquitto)
      return skipTest(
        ctx,
        'not-selected',
        'needs the container runtime with the mosquitto image (the upstream broker is an EMQX container whose image is missing on purpose)',
      );
    const scope = uniqueName('missing-image');
    const started = inResourceScope(scope, () =>
      startTopology(
        { downstream: 'mosquitto', upstream: 'emqx', runtime: 'container', forwarder: referenceForwarder },
        { ...settings, targetSettings: { ...settings.targetSettings, [EMQX_IMAGE.name]: MISSING_IMAGE } },
      ),
    );
    await expect(started, 'starting a topology whose upstream image is missing must fail').rejects.toThrow(
      /emqx mqtt-broker-upstream \(container\)/,
    );
    expect(
      await runResources(scope),
      'the downstream broker, the network or a process of the failed topology was left behind',
    ).toEqual({ containers: [], networks: [], processes: [] });
  });

  test('a forwarder that exits at once fails the topology start within 15 s, naming it and how it exited, and leaves nothing behind', async (ctx) => {
    if (!ownTopology)
      return skipTest(ctx, 'capability', 'no forwarding topology of this run is started by the testbench');
    const scope = uniqueName('exiting-forwarder');
    const began = Date.now();
    const failing = commandForwarder("sh -c 'exit 3'", DEFAULT_DECLARATION);
    const error = await inResourceScope(scope, () =>
      startTopology(
        {
          downstream: ownTopology.downstream,
          upstream: ownTopology.upstream,
          runtime: ownTopology.runtime,
          forwarder: failing,
        },
        settings,
      ),
    ).then(
      async (t) => {
        await t.dispose();
        return undefined;
      },
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    const tookMs = Date.now() - began;
    expect(error, 'a topology whose forwarder exits at once must not start').toBeDefined();
    expect(error, 'the error must name the forwarder').toContain(`${failing.name} (process) is not running`);
    expect(error, 'the error must say how the forwarder exited').toContain('exit code 3');
    expect(
      tookMs,
      `the failure took ${tookMs} ms: the end-to-end probe should give up as soon as the forwarder exited`,
    ).toBeLessThan(FAST_FAILURE_MS);
    expect(
      await runResources(scope),
      'the brokers, the network or a process of the failed topology were left behind',
    ).toEqual({ containers: [], networks: [], processes: [] });
  });

  test('a forwarder killed after the start is named by the liveness check and fails the end-to-end probe at once', async (ctx) => {
    if (!ownTopology)
      return skipTest(ctx, 'capability', 'no forwarding topology of this run is started by the testbench');
    const t = await startTopology(
      {
        downstream: ownTopology.downstream,
        upstream: ownTopology.upstream,
        runtime: ownTopology.runtime,
        forwarder: referenceForwarder,
      },
      settings,
    );
    onTestFinished(() => t.dispose());
    await t.forwarder.faults.kill();
    expect(
      await deadComponents([t.downstream, t.forwarder, t.upstream]),
      'only the killed forwarder is reported, with how it died',
    ).toEqual([expect.stringMatching(new RegExp(`^${escape(t.forwarder.label)} is not running: .*(SIGKILL|137)`))]);
    const began = Date.now();
    await expect(t.probe(30_000), 'a probe through a dead forwarder must fail naming it').rejects.toThrow(
      /is not running/,
    );
    expect(
      Date.now() - began,
      'the probe should give up as soon as it saw the forwarder was dead, not after its 30 s budget',
    ).toBeLessThan(5_000);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
