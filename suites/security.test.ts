/**
 * Security: the mosquitto-secure target (a TLS listener with a CA and server certificate generated
 * for the run, `allow_anonymous false`, a password file and an ACL that lets the test user use
 * `mtb/#` only). Every other suite runs against it with the broker's credentials and CA, which
 * proves that access works; this file checks the refusals and that secrets stay secret:
 *
 * - a wrong password, and no credentials at all, are refused at CONNECT with an error that names
 *   the broker and says the credentials were refused, within 5 s (never a connect timeout), and
 *   the readiness probe gives up on such a refusal at once instead of retrying into its budget;
 * - a plain MQTT client on the TLS port fails fast, with a hint to use mqtts://, and the broker
 *   logs a TLS error; a client that does not trust the run's CA (or expects another host name)
 *   gets a certificate error;
 * - outside `mtb/#` the ACL drops publishes (MQTT 3.1.1: silently; MQTT 5: reason code 0x87) and a
 *   subscription delivers nothing (Mosquitto 2.0 grants it and checks read access per message);
 * - the password is in no log (forwarder, both brokers), in no stored forwarder config, in no
 *   connect error, and in none of the files a run writes (report.json / .md / .html, junit.xml)
 *   nor its console output, even when a test carelessly put it into a result note.
 */
import {
  skipTest,
  PROTOCOL_VERSIONS,
  useBroker,
  useTopology,
  runPlan,
  runSettings,
  recordResult,
} from '../helpers/vitest/index.js';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { connectTestClient, isMarkerOf, MarkerSender, protocolName } from '../helpers/mqtt/index.js';
import { mqttProbe, runContext, uniqueName } from '../helpers/runtime/index.js';
import { securityMaterial, ACL_DENIAL_NOTE } from '../helpers/targets/index.js';
import { REDACTED } from '../helpers/security/index.js';
import { brokerSubject, topologySubject, testTopicPrefix, type TargetPlan } from '../helpers/testbed/index.js';
import type { BrokerEndpoint, StartedBroker } from '../helpers/model/index.js';
import { ChildRun, childEnv } from '../helpers/vitest/testing/index.js';

const plan = runPlan();
const settings = runSettings();
const secureTarget = plan.targets.find((t) => t.name === 'mosquitto-secure');
const secureTopologies = plan.topologies.filter(
  (t) => t.downstream === 'mosquitto-secure' && t.upstream === 'mosquitto-secure',
);
/** A refusal must be this fast: well below the 10 s connect timeout, so a timeout can never pass for one. */
const REFUSAL_BOUND_MS = 5_000;
/** A probe budget far above the bound: a probe that retried a refusal would run into it. */
const PROBE_BUDGET_MS = 30_000;
const ARRIVAL_BUDGET_MS = 10_000;
const LOG_LINES = 1_000;
const CHILD_RUN_BUDGET_MS = 150_000;
const NOT_SELECTED =
  "mosquitto-secure is not among this run's targets (MQTT_TESTBENCH_TARGETS); it runs by default in the container and process runtimes";

/** Runs `attempt` (a connection that must be refused) and returns its error message and how long the refusal took. */
async function refusal(attempt: () => Promise<unknown>): Promise<{ message: string | undefined; elapsedMs: number }> {
  const began = performance.now();
  const message = await attempt().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  return { message, elapsedMs: Math.round(performance.now() - began) };
}

/** The broker with some of its client options replaced (a wrong password, no CA, no credentials). */
function variantOf(
  broker: StartedBroker,
  clientOptions: BrokerEndpoint['clientOptions'],
  url = broker.url,
): BrokerEndpoint {
  return { label: broker.label, url, clientOptions };
}

if (secureTarget) describeRefusals(secureTarget);
else test('security: refusals of a secured broker', (context) => skipTest(context, 'not-selected', NOT_SELECTED));

function describeRefusals(target: TargetPlan): void {
  describe(`security: ${target.name} (${target.runtime})`, { timeout: 60_000 }, () => {
    const broker = useBroker(target);

    for (const version of PROTOCOL_VERSIONS) {
      test(`${protocolName(version)}: a wrong password is refused at CONNECT with an authentication error that names the broker, within 5 s`, async (context) => {
        const b = broker();
        const { password } = await securityMaterial(settings);
        const wrong = `wrong-${randomBytes(6).toString('hex')}`;
        const { message, elapsedMs } = await refusal(() =>
          connectTestClient({
            broker: variantOf(b, { ...b.clientOptions, password: wrong }),
            role: 'badpw',
            protocolVersion: version,
          }),
        );
        await recordResult(context, {
          suite: 'security',
          scenario: 'wrong password refused',
          subject: brokerSubject(b),
          protocolVersion: version,
          observations: { refusedAfterMs: elapsedMs, error: message ?? 'connected' },
        });
        expect(message, `${b.label} accepted a wrong password`).toBeDefined();
        expect(message).toMatch(
          new RegExp(
            `${escape(b.label)} at mqtts://\\S+ refused the credentials: authentication failed \\(CONNACK "(Not authorized|Bad User Name or Password)", code (5|4|134|135)\\) for user "mqtt-testbench" with a password`,
          ),
        );
        expect(
          elapsedMs,
          `the refusal took ${elapsedMs} ms; it must come from the broker's CONNACK, not a timeout`,
        ).toBeLessThan(REFUSAL_BOUND_MS);
        expect(message).not.toContain(password);
        expect(message).not.toContain(wrong);
      });

      test(`${protocolName(version)}: a client without credentials is refused the same way`, async (context) => {
        const b = broker();
        const { message, elapsedMs } = await refusal(() =>
          connectTestClient({
            broker: variantOf(b, { ca: b.clientOptions?.ca }),
            role: 'anon',
            protocolVersion: version,
          }),
        );
        await recordResult(context, {
          suite: 'security',
          scenario: 'anonymous client refused',
          subject: brokerSubject(b),
          protocolVersion: version,
          observations: { refusedAfterMs: elapsedMs, error: message ?? 'connected' },
        });
        expect(message, `${b.label} accepted an anonymous client (allow_anonymous false)`).toBeDefined();
        expect(message).toMatch(
          /refused the credentials: authentication failed \(CONNACK "[^"]+", code \d+\) for no user name or password/,
        );
        expect(elapsedMs).toBeLessThan(REFUSAL_BOUND_MS);
      });
    }

    test('the readiness probe gives up at once on refused credentials instead of retrying into its budget', async () => {
      const b = broker();
      const topic = `${testTopicPrefix('probe-refused')}/p`;
      const endpoint = variantOf(b, { ...b.clientOptions, password: 'not-the-password' });
      const { message, elapsedMs } = await refusal(() =>
        mqttProbe({ publishTo: endpoint, subscribeTo: endpoint, publishTopic: topic, timeoutMs: PROBE_BUDGET_MS }),
      );
      expect(message).toMatch(/refused the credentials: authentication failed/);
      expect(
        elapsedMs,
        `the probe took ${elapsedMs} ms of its ${PROBE_BUDGET_MS} ms budget: it retried a refusal that retrying cannot fix`,
      ).toBeLessThan(REFUSAL_BOUND_MS);
    });

    test('a plain MQTT client on the TLS port fails fast with a hint to use mqtts://, and the broker logs a TLS error', async () => {
      const b = broker();
      const plainUrl = b.url.replace(/^mqtts:/, 'mqtt:');
      const { message, elapsedMs } = await refusal(() =>
        connectTestClient({ broker: variantOf(b, b.clientOptions, plainUrl), role: 'plain' }),
      );
      expect(message, `${b.label} answered plain MQTT on its TLS port`).toBeDefined();
      expect(message).toMatch(
        /closed the connection before answering CONNECT .*if this port is a TLS listener, connect with mqtts:\/\//,
      );
      expect(elapsedMs).toBeLessThan(REFUSAL_BOUND_MS);
      // Container logs reach Docker asynchronously: look again for a moment before concluding.
      let logs = '';
      for (const began = Date.now(); Date.now() - began < 3_000; await pause(100)) {
        logs = await b.logTail(50);
        if (/OpenSSL Error|SSL routines/i.test(logs)) break;
      }
      expect(logs, `${b.label} did not log the failed TLS handshake`).toMatch(/OpenSSL Error|SSL routines/i);
    });

    test("a client that does not trust the run's CA, or expects another host name, gets a certificate error", async () => {
      const b = broker();
      const untrusted = await refusal(() =>
        connectTestClient({
          broker: variantOf(b, { username: b.clientOptions?.username, password: b.clientOptions?.password }),
          role: 'noca',
        }),
      );
      expect(untrusted.message).toMatch(
        /TLS handshake failed, the broker's certificate is not trusted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|DEPTH_ZERO_SELF_SIGNED_CERT): .*\); no CA was given for this broker/,
      );
      expect(untrusted.elapsedMs).toBeLessThan(REFUSAL_BOUND_MS);
      const otherHost = await refusal(() =>
        connectTestClient({
          broker: variantOf(b, { ...b.clientOptions, servername: 'not-this-broker.example' }),
          role: 'nohost',
        }),
      );
      expect(otherHost.message).toMatch(/certificate is not trusted \(ERR_TLS_CERT_ALTNAME_INVALID: /);
    });

    for (const version of PROTOCOL_VERSIONS) {
      test(`${protocolName(version)}: outside mtb/# the ACL drops publishes (${version === 5 ? 'PUBACK 0x87 Not authorized' : 'silently, still acknowledged'}) and a subscription delivers nothing`, async (context) => {
        const b = broker();
        const outside = `acl-denied/${runContext().runId}/${uniqueName('x')}`;
        const inside = `${testTopicPrefix(`acl-v${version}`)}/allowed`;
        const subscriber = await connectTestClient({ broker: b, role: 'sub', protocolVersion: version });
        const grants = await subscriber.client.subscribeAsync([outside, inside], { qos: 1 });
        const publisher = await connectTestClient({ broker: b, role: 'pub', protocolVersion: version });
        const published = await publisher.client.publishAsync(outside, 'must not be delivered', { qos: 1 }).then(
          () => ({ acknowledged: true, code: undefined }),
          (error: unknown) => ({ acknowledged: false, code: (error as { code?: unknown }).code }),
        );
        // Mosquitto handles one connection's packets in order, and the ACL drops a denied PUBLISH as
        // it reads it: once a later allowed message arrived, the denied one was dealt with.
        const marker = await new MarkerSender(publisher).send(inside, 1);
        await subscriber.messages.waitForMessage(
          (m) => isMarkerOf(marker, m),
          ARRIVAL_BUDGET_MS,
          `the marker on ${inside}, allowed by the ACL`,
        );
        const outsideGrant = grants.find((g) => g.topic === outside)?.qos;
        await recordResult(context, {
          suite: 'security',
          scenario: 'ACL outside mtb/#',
          subject: brokerSubject(b),
          protocolVersion: version,
          observations: {
            outsideSubackCode: outsideGrant ?? null,
            outsidePublishAcknowledged: published.acknowledged,
            outsidePublishReasonCode: typeof published.code === 'number' ? published.code : null,
            deliveredOutside: subscriber.messages.on(outside).length,
          },
          notes: [ACL_DENIAL_NOTE],
        });
        expect(
          grants.find((g) => g.topic === inside)?.qos,
          `the subscription to ${inside} (inside mtb/#) was not granted`,
        ).toBe(1);
        // Mosquitto 2.0 checks read access per message and grants the SUBACK; a broker that checks at
        // SUBSCRIBE answers 0x80 (3.1.1) or 0x87 (5). Either way, nothing may be delivered.
        expect([1, version === 5 ? 0x87 : 0x80], `SUBACK code for ${outside} (outside the ACL)`).toContain(
          outsideGrant,
        );
        if (version === 5) {
          expect(
            published,
            `an MQTT 5 publish to ${outside} must be refused with reason code 0x87 Not authorized`,
          ).toEqual({ acknowledged: false, code: 0x87 });
        } else {
          expect(
            published.acknowledged,
            `an MQTT 3.1.1 publish to ${outside}: PUBACK has no reason code, so the broker acknowledges and drops it`,
          ).toBe(true);
        }
        expect(subscriber.messages.on(outside), `a message on ${outside} (outside the ACL) was delivered`).toEqual([]);
      });
    }
  });
}

describe('security: the password is in no log, config or report', () => {
  if (!secureTarget)
    test('no secured broker in this run', (context) => skipTest(context, 'not-selected', NOT_SELECTED));
  for (const topologyPlan of secureTopologies) {
    describe(topologyPlan.id, { timeout: 60_000 }, () => {
      const topology = useTopology(topologyPlan);
      test('the forwarder connects with the credentials; its config as stored is redacted, and no log holds the password', async (context) => {
        const t = topology();
        const { username, password } = await securityMaterial(settings);
        const ns = t.route('pass').namespace('secret');
        const subscriber = await connectTestClient({ broker: t.upstream, role: 'sub' });
        await subscriber.subscribe(ns.expect('m'), { qos: 1 });
        const publisher = await connectTestClient({ broker: t.downstream, role: 'pub' });
        await publisher.publish(ns.publish('m'), 'through TLS with credentials', { qos: 1 });
        await subscriber.messages.waitFor(1, ARRIVAL_BUDGET_MS, `the forwarded message on ${ns.expect('m')}`);
        const logs = {
          forwarder: await t.forwarder.logTail(LOG_LINES),
          downstream: await t.downstream.logTail(LOG_LINES),
          upstream: await t.upstream.logTail(LOG_LINES),
        };
        await recordResult(context, {
          suite: 'security',
          scenario: 'no password in logs or configs',
          subject: topologySubject(t),
          observations: { configBytes: t.forwarder.configText.length, logBytes: Object.values(logs).join('').length },
        });
        expect(t.forwarder.configText, `${t.forwarder.label}: the stored config names the user`).toContain(username);
        expect(t.forwarder.configText, `${t.forwarder.label}: the stored config shows a redacted password`).toContain(
          REDACTED,
        );
        expect(t.forwarder.configText, `${t.forwarder.label}: the stored config holds the password`).not.toContain(
          password,
        );
        for (const [who, text] of Object.entries(logs))
          expect(text, `the ${who}'s log holds the password`).not.toContain(password);
      });
    });
  }

  test(
    "a child run's report.json, report.md, report.html, junit.xml and console output never hold the password, even when a test put it into a result",
    { timeout: CHILD_RUN_BUDGET_MS + 10_000 },
    async (context) => {
      if (secureTarget?.status === 'skipped')
        return skipTest(context, 'environment', `mosquitto-secure skipped: ${secureTarget.reason}`);
      if (!secureTarget || !secureTopologies.some((t) => t.status === 'ready'))
        return skipTest(context, 'not-selected', NOT_SELECTED);
      const reportDir = mkdtempSync(join(tmpdir(), 'mtb-secure-report-'));
      onTestFinished(() => rmSync(reportDir, { recursive: true, force: true }));
      // A known password for the child (its own run would pick a random one the parent cannot see).
      const password = `Child-${randomBytes(12).toString('base64url')}`;
      const child = new ChildRun(
        ['--config', 'helpers/vitest/testing/child-report.config.ts', 'secure-report'],
        childEnv({
          MQTT_TESTBENCH_SECURE_PASSWORD: password,
          MQTT_TESTBENCH_TARGETS: 'mosquitto-secure',
          MQTT_TESTBENCH_FORWARDER: 'reference',
          MQTT_TESTBENCH_REPORT_DIR: reportDir,
          MQTT_TESTBENCH_PROGRESS: 'off',
          MQTT_TESTBENCH_STRICT: '1',
        }),
      );
      onTestFinished(() => child.destroy());
      const exit = await child.exit(CHILD_RUN_BUDGET_MS);
      const runId = /mqtt-testbench run (\S+)/.exec(child.output)?.[1];
      expect(runId, `the child run printed no run id:\n${child.tail()}`).toBeDefined();
      // One fixture test fails on purpose (a refused client whose URL carried the password).
      expect(exit.code, `the child run should fail exactly its deliberate test:\n${child.tail()}`).toBe(1);
      const folder = join(reportDir, runId ?? '');
      const files = readdirSync(folder);
      expect(files.sort()).toEqual(expect.arrayContaining(['junit.xml', 'report.html', 'report.json', 'report.md']));
      const json = readFileSync(join(folder, 'report.json'), 'utf8');
      // The reports carry what the fixture put there, redacted: the run was not simply empty.
      expect(json, "report.json lacks the fixture's stored forwarder config").toContain('forwarder config as stored');
      expect(json, 'report.json lacks the scrubbed note').toContain(
        `a note that carries the password itself: ${REDACTED}`,
      );
      expect(json, 'report.json lacks the deliberate failure').toMatch(
        /mqtts:\/\/mqtt-testbench:\*\*\*@127\.0\.0\.1:1/,
      );
      for (const file of files)
        expect(readFileSync(join(folder, file), 'utf8'), `${file} of the child run holds the password`).not.toContain(
          password,
        );
      expect(child.output, 'the child run printed the password').not.toContain(password);
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Pacing between looks at the broker's log (the condition is re-checked after it). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
