import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type {
  Availability,
  BrokerBehaviour,
  FaultControls,
  FaultName,
  RuntimeKind,
  Settings,
  StartedBroker,
} from '../../model/index.js';
import { LogBuffer } from '../../runtime/process/log-buffer.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { asSpec, choice, deviation, limit, MQTT_311_SPEC } from '../behaviour.js';
import { disposeOnFailure, probeBroker } from '../broker-probe.js';
import { brokerLabel, type BrokerStartRequest, type Target } from '../target.js';

// aedes' package exports do not include package.json; read it next to the resolved entry point.
const AEDES_VERSION = (
  JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve('aedes')), 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const SUPPORTED_FAULTS: ReadonlySet<FaultName> = new Set(['stop', 'kill', 'start', 'restart']);

const SOURCE = `https://github.com/moscajs/aedes/blob/v${AEDES_VERSION}`;

const BEHAVIOUR: BrokerBehaviour = {
  version: AEDES_VERSION,
  maxQos: choice(2, 'Grants every QoS asked for.', `${SOURCE}/lib/handlers/subscribe.js`),
  qos2Publish: asSpec(
    true,
    'QoS 2 publishes get the full PUBREC/PUBREL/PUBCOMP handshake.',
    `${SOURCE}/lib/handlers/publish.js`,
  ),
  retainedDeliveryQos: deviation(
    'as retained',
    'A retained message that matches a new wildcard subscription is sent at its stored QoS, not at min(retained, granted) [MQTT-3.8.4-6]: sendRetained delivers at packet.qos (an exact-topic subscription gets min(retained, granted)).',
    `${SOURCE}/lib/handlers/subscribe.js`,
  ),
  retainedToWildcardSubscriptions: asSpec(
    true,
    'Wildcard subscriptions get every matching retained message.',
    MQTT_311_SPEC,
  ),
  queuesQos0WhileOffline: choice(
    false,
    'QoS 0 is not queued for offline persistent sessions (lib/client.js: "skip offline").',
    `${SOURCE}/lib/client.js`,
  ),
  mqtt5: choice(false, 'aedes implements MQTT 3.1.1 only (README: MQTT 5 "not supported yet").', `${SOURCE}/README.md`),
  sessionExpiry: choice(false, 'No MQTT 5, so no Session Expiry Interval.', `${SOURCE}/README.md`),
  limits: [
    limit(
      'In-memory persistence: a restart (a new broker instance) loses retained messages and sessions.',
      `${SOURCE}/README.md`,
      'in-memory persistence',
    ),
  ],
  notes: [
    'mqtt-testbench corrects one aedes-persistence 11.0.0 defect in the embedded broker: the PUBREL id for a persistent-session subscriber (see fixOutgoingPubrelIds).',
  ],
};

export const aedesTarget: Target<'aedes'> = {
  name: 'aedes',
  summary: 'aedes, a broker inside the test process (npm; MQTT 3.1.1 only): runs wherever Node does',
  runtimes: ['embedded'],
  pairings: [],
  behaviour: () => BEHAVIOUR,
  restartPersistence: {
    sessions: false,
    note: 'the embedded aedes uses in-memory persistence: a restart starts an empty broker (sessions, queued and retained messages are gone).',
    budgetMs: 3_500,
  },

  availability(runtime: RuntimeKind, _settings: Settings): Promise<Availability> {
    return Promise.resolve(
      runtime === 'embedded'
        ? { ok: true, detail: `aedes ${AEDES_VERSION} in-process` }
        : { ok: false, reason: `aedes runs only embedded in the test process (this run uses ${runtime}).` },
    );
  },

  async start(request: BrokerStartRequest): Promise<StartedBroker> {
    const label = brokerLabel('aedes', 'embedded', request.role);
    const broker = new EmbeddedAedes(label, await freeLoopbackPort());
    await broker.listen();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const faults: FaultControls = {
      supported: SUPPORTED_FAULTS,
      stop: () => broker.close(),
      kill: () => broker.close(),
      start: async () => {
        await broker.listen();
        await probeBroker(started, started, request.settings);
      },
      restart: async () => {
        await broker.close();
        await faults.start();
      },
      pause: () => Promise.reject(new Error(`${label}: pause is not supported for an in-process broker.`)),
      resume: () => Promise.reject(new Error(`${label}: resume is not supported for an in-process broker.`)),
    };
    const started: StartedBroker = {
      target: 'aedes',
      label,
      runtime: 'embedded',
      version: `aedes ${AEDES_VERSION}`,
      url,
      peer: { host: '127.0.0.1', port: broker.port },
      behaviour: BEHAVIOUR,
      faults,
      logTail: (lines) => Promise.resolve(broker.logs.tail(lines)),
      cpuTime: () => Promise.resolve({ kind: 'in-process', why: 'the embedded broker runs inside the test process' }),
      liveness: () =>
        Promise.resolve(
          broker.listening
            ? { alive: true }
            : { alive: false, why: 'the in-process broker is closed (stopped or killed)' },
        ),
      dispose: () => broker.close(),
    };
    return disposeOnFailure(started, async () => {
      await probeBroker(started, started, request.settings);
      return started;
    });
  },
};

/** An aedes broker on a fixed loopback port that can be closed and brought back (with empty state). */
class EmbeddedAedes {
  readonly logs = new LogBuffer();
  private server: Server | undefined;
  private broker: Aedes | undefined;
  private readonly sockets = new Set<Socket>();

  get listening(): boolean {
    return this.server !== undefined;
  }

  constructor(
    private readonly label: string,
    readonly port: number,
  ) {}

  async listen(): Promise<void> {
    if (this.server) return;
    const broker = await Aedes.createBroker();
    fixOutgoingPubrelIds(broker);
    broker.on('clientError', (client, error) => this.logs.push(`client ${client.id} error: ${error.message}\n`));
    broker.on('connectionError', (_client, error) => this.logs.push(`connection error: ${error.message}\n`));
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.broker = broker;
    this.server = server;
    this.logs.push(`${this.label} listening on 127.0.0.1:${this.port}\n`);
  }

  async close(): Promise<void> {
    const { server, broker } = this;
    this.server = undefined;
    this.broker = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server) this.logs.push(`${this.label} closed\n`);
  }
}

interface OutgoingPacket {
  cmd?: string;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
}

/**
 * aedes 1.2.0 with aedes-persistence 11.0.0 sends a QoS 2 PUBREL with the wrong packet id to a
 * persistent-session (clean=false) subscriber when several PUBRECs arrive in one read: PUBREC's
 * handler stores a bare `{ cmd: 'pubrel', messageId }` through `outgoingUpdate`, which matches
 * entries by `brokerId`/`brokerCounter` first; both are undefined on every stored PUBREL, so the
 * next PUBREC overwrites the messageId of the first PUBREL still waiting to be written. The
 * subscriber then never gets a PUBREL for that message (lost) and gets another one twice.
 * Observed with Mosquitto's bridge as the subscriber (it answers a burst of PUBLISHes with one
 * burst of PUBRECs); without this fix, the embedded runtime would blame the forwarder for the
 * broker's loss. Giving each PUBREL an identity of its own (its packet id) makes the lookup exact.
 */
function fixOutgoingPubrelIds(broker: Aedes): void {
  const persistence = (
    broker as unknown as { persistence: { outgoingUpdate: (client: unknown, packet: OutgoingPacket) => Promise<void> } }
  ).persistence;
  const outgoingUpdate = persistence.outgoingUpdate.bind(persistence);
  persistence.outgoingUpdate = (client, packet) => {
    if (packet.cmd === 'pubrel' && packet.brokerId === undefined && packet.messageId !== undefined) {
      packet.brokerId = PUBREL_BROKER_ID;
      packet.brokerCounter = packet.messageId;
    }
    return outgoingUpdate(client, packet);
  };
}

/** Never a real broker id (aedes uses UUIDs), so a PUBREL entry only ever matches itself. */
const PUBREL_BROKER_ID = 'mqtt-testbench-pubrel';
