import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type {
  Availability,
  BrokerBehaviour,
  BrokerClientOptions,
  BrokerEndpoint,
  FaultControls,
  RuntimeKind,
  Settings,
  StartedBroker,
} from '../../model/index.js';
import { shortRunId, uniqueName } from '../../runtime/run-context.js';
import { registerSecret } from '../../security/redact.js';
import { asSpec, choice } from '../behaviour.js';
import { probeBroker } from '../broker-probe.js';
import { DOWNSTREAM_ALIAS, UPSTREAM_ALIAS, type BrokerStartRequest, type Target } from '../target.js';

const VERSION_WAIT_MS = 1_500;

/** Where an external broker's table comes from: what the user states, and the spec for the rest. */
const STATED = 'docs/configuration.md (MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0, MQTT_TESTBENCH_EXTERNAL_MQTT5)';
const ASSUMED = 'the MQTT spec (nothing else is known about an external broker)';

/** What a broker started elsewhere does where the spec leaves a choice is what the user states; the rest is the spec. */
function behaviourOf(settings: Settings): BrokerBehaviour {
  const qos0 = settings.externalQueuesQos0;
  const mqtt5 = settings.externalMqtt5;
  return {
    version: 'unknown',
    maxQos: asSpec(2, 'Assumed to grant every QoS asked for.', ASSUMED),
    qos2Publish: asSpec(true, 'Assumed to support QoS 2 publishes.', ASSUMED),
    retainedDeliveryQos: asSpec(
      'min(retained, granted)',
      'Assumed to deliver retained messages at min(retained, granted).',
      ASSUMED,
    ),
    retainedToWildcardSubscriptions: asSpec(
      true,
      'Assumed to send retained messages to wildcard subscriptions.',
      ASSUMED,
    ),
    queuesQos0WhileOffline: choice(
      qos0,
      `QoS 0 ${qos0 ? 'is' : 'is not'} queued for offline persistent sessions, as MQTT_TESTBENCH_EXTERNAL_QUEUES_QOS0=${qos0 ? 1 : 0} states.`,
      STATED,
    ),
    mqtt5: choice(
      mqtt5,
      `MQTT 5 ${mqtt5 ? 'is' : 'is not'} supported, as MQTT_TESTBENCH_EXTERNAL_MQTT5=${mqtt5 ? 1 : 0} states.`,
      STATED,
    ),
    sessionExpiry: choice(
      mqtt5,
      mqtt5 ? 'Assumed to honour the MQTT 5 Session Expiry Interval.' : 'No MQTT 5, so no Session Expiry Interval.',
      ASSUMED,
    ),
    limits: [],
    notes: [],
  };
}

const NO_FAULTS: FaultControls = {
  supported: new Set(),
  stop: () => Promise.reject(new Error('an external broker cannot be stopped by the testbench.')),
  kill: () => Promise.reject(new Error('an external broker cannot be killed by the testbench.')),
  start: () => Promise.reject(new Error('an external broker cannot be started by the testbench.')),
  restart: () => Promise.reject(new Error('an external broker cannot be restarted by the testbench.')),
  pause: () => Promise.reject(new Error('an external broker cannot be paused by the testbench.')),
  resume: () => Promise.reject(new Error('an external broker cannot be resumed by the testbench.')),
};

export const externalTarget: Target<'external'> = {
  name: 'external',
  summary:
    'your broker, already running, by URL (MQTT_TESTBENCH_EXTERNAL_URL; the forwarding topology: _DOWNSTREAM_URL and _UPSTREAM_URL)',
  runtimes: ['external'],
  pairings: [],
  selectedByDefault: (settings) => Boolean(settings.externalUrl || settings.externalDownstreamUrl),
  behaviour: behaviourOf,
  restartPersistence: {
    sessions: false,
    note: 'an external broker cannot be restarted by the testbench; what it keeps across a restart is unknown.',
    budgetMs: 3_500,
  },

  availability(_runtime: RuntimeKind, settings: Settings): Promise<Availability> {
    if (settings.externalUrl || (settings.externalDownstreamUrl && settings.externalUpstreamUrl))
      return Promise.resolve({ ok: true });
    return Promise.resolve({
      ok: false,
      reason:
        'no external broker URL: set MQTT_TESTBENCH_EXTERNAL_URL (and MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL / _UPSTREAM_URL for the forwarding topology).',
    });
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    const { settings } = request;
    const { url, clientOptions } = clientEndpoint(urlFor(request), settings);
    const parsed = new URL(url);
    const label = `external ${request.role ?? 'broker'} ${parsed.host}`;
    const broker: StartedBroker = {
      target: 'external',
      label,
      runtime: 'external',
      version: 'unknown',
      url,
      ...(clientOptions ? { clientOptions } : {}),
      peer: { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'mqtts:' ? 8883 : 1883)) },
      behaviour: behaviourOf(settings),
      faults: NO_FAULTS,
      logTail: () => Promise.resolve("(an external broker's logs are not available to the testbench)"),
      // Not the testbench's to know: a broker that went away shows up as refused connections.
      liveness: () => Promise.resolve({ alive: true }),
      cpuTime: () =>
        Promise.resolve({ kind: 'unknown', why: 'an external broker: its CPU use is not visible to the testbench' }),
      dispose: () => Promise.resolve(),
    };
    await probeBroker(broker, broker, request.settings);
    return { ...broker, version: await readSysVersion(broker, request.settings.probeTimeoutMs) };
  },
};

function urlFor(request: BrokerStartRequest): string {
  const { settings, role } = request;
  const url =
    role === DOWNSTREAM_ALIAS
      ? settings.externalDownstreamUrl
      : role === UPSTREAM_ALIAS
        ? settings.externalUpstreamUrl
        : (settings.externalUrl ?? settings.externalDownstreamUrl);
  if (!url)
    throw new Error(
      `no URL for the external ${role ?? 'broker'}: set ${role === UPSTREAM_ALIAS ? 'MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL' : role === DOWNSTREAM_ALIAS ? 'MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL' : 'MQTT_TESTBENCH_EXTERNAL_URL'}.`,
    );
  return url;
}

/**
 * The URL without user info, and what a client needs as client options: the credentials of the
 * URL (`mqtt://user:password@host:port`) or else MQTT_TESTBENCH_EXTERNAL_USERNAME / _PASSWORD, and
 * the CA of MQTT_TESTBENCH_EXTERNAL_CA. A URL is shown in errors and reports, so it never carries
 * a password (which is also registered for redaction).
 */
export function clientEndpoint(
  raw: string,
  settings: Pick<Settings, 'externalUsername' | 'externalPassword' | 'externalCaFile'>,
): { url: string; clientOptions?: BrokerClientOptions } {
  const parsed = new URL(raw);
  const inUrl = parsed.username !== '' || parsed.password !== '';
  const username = inUrl ? decodeURIComponent(parsed.username) : (settings.externalUsername ?? '');
  const password = inUrl ? decodeURIComponent(parsed.password) : (settings.externalPassword ?? '');
  if (password !== '') registerSecret(password);
  parsed.username = '';
  parsed.password = '';
  const clientOptions: BrokerClientOptions = {
    ...(username !== '' ? { username } : {}),
    ...(password !== '' ? { password } : {}),
    ...(settings.externalCaFile ? { ca: readCa(settings.externalCaFile) } : {}),
  };
  return {
    url: inUrl ? parsed.toString() : raw,
    ...(Object.keys(clientOptions).length > 0 ? { clientOptions } : {}),
  };
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `MQTT_TESTBENCH_EXTERNAL_CA=${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
}

/**
 * Many brokers publish their version as a retained `$SYS/broker/version`; others simply stay silent.
 * The connection gets the probe's budget: the broker just passed its probe, and on a busy machine
 * (or behind the self-test's proxy) a CONNACK can take longer than the wait for the version.
 */
async function readSysVersion(broker: BrokerEndpoint, connectTimeoutMs: number): Promise<string> {
  const client = await mqtt.connectAsync(
    broker.url,
    {
      ...broker.clientOptions,
      clientId: uniqueName(`mtb-ver-${shortRunId()}`),
      reconnectPeriod: 0,
      connectTimeout: connectTimeoutMs,
    },
    false,
  );
  try {
    const version = new Promise<string>((resolve) =>
      client.on('message', (_topic, payload) => resolve(payload.toString())),
    );
    // A broker may refuse $SYS subscriptions; the version then stays "unknown", which is the answer.
    await client.subscribeAsync('$SYS/broker/version', { qos: 0 }).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('unknown'), VERSION_WAIT_MS)));
    try {
      return await Promise.race([version, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await client.endAsync(true);
  }
}
