// Guards the one adaptation of mqtt.js internals (src/clients/held-acks.ts).
// A scripted broker (mqtt-packet over a socket) sends PUBLISH packets and
// records what the client sends back. If mqtt.js changes how it acknowledges
// (_sendPacket, handleMessage, the QoS 2 incoming store), these fail.

import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import type { MqttClient, Packet } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { holdPublishAcks } from '../../src/clients/held-acks.js';
import { createMqttClient } from '../../src/clients/connect.js';
import type { ClientPlan } from '../../src/config/resolve.js';
import { waitUntil } from '../support/mqtt-clients.js';

/** Long enough for mqtt.js to handle packets already in its socket buffer. */
const ABSENCE_CHECK_MS = 100;

class ScriptedBroker {
  readonly received: Packet[] = [];
  socket: Socket | null = null;
  private constructor(readonly server: Server) {}

  static async start(): Promise<ScriptedBroker> {
    const server = createServer();
    const broker = new ScriptedBroker(server);
    server.on('connection', (socket) => {
      broker.socket = socket;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on('packet', (packet: Packet) => {
        broker.received.push(packet);
        if (packet.cmd === 'connect') broker.send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      });
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return broker;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  send(packet: Packet): void {
    this.socket?.write(mqttPacket.generate(packet));
  }

  publish(messageId: number, qos: 0 | 1 | 2): void {
    this.send({
      cmd: 'publish',
      topic: `t/${messageId}`,
      payload: Buffer.from('x'),
      qos,
      messageId,
      retain: false,
      dup: false,
    });
  }

  acks(): string[] {
    return this.received
      .filter((p) => p.cmd !== 'connect' && p.cmd !== 'publish' && p.cmd !== 'pingreq')
      .map((p) => `${p.cmd} ${'messageId' in p ? String(p.messageId) : ''}`);
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function plan(port: number): ClientPlan {
  return {
    name: 'test',
    host: '127.0.0.1',
    port,
    clientId: 'held-acks-test',
    protocolVersion: 4,
    keepaliveS: 60,
    cleanSession: true,
    sessionExpiryS: 0,
    username: null,
    password: null,
    connectTimeoutMs: 5000,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    tls: null,
  };
}

describe('held acks: the mqtt.js adaptation', () => {
  let broker: ScriptedBroker;
  let client: MqttClient;

  afterEach(async () => {
    client.end(true);
    await broker.close();
  });

  async function connect(admit: (done: () => void) => void) {
    broker = await ScriptedBroker.start();
    client = createMqttClient(plan(broker.port), { receiveMaximum: 100 });
    const seen: number[] = [];
    client.on('packetreceive', (p) => {
      if (p.cmd === 'publish') seen.push(Number(p.topic.split('/')[1]));
    });
    client.on('error', () => undefined);
    const held = holdPublishAcks(client, admit);
    client.connect();
    await waitUntil(() => client.connected, 'the client to connect to the scripted broker');
    return { held, seen };
  }

  /** Everything the client wrote before this marker has reached the broker. */
  async function flushClientWrites(marker: string) {
    client.publish(marker, 'm', { qos: 0 });
    await waitUntil(() => broker.received.some((p) => p.cmd === 'publish' && p.topic === marker), `marker ${marker}`);
  }

  it('takes in QoS 1 and 2 publishes without acknowledging them, then sends the acks it is given, in order', async () => {
    const { held, seen } = await connect((done) => done());
    broker.publish(1, 1);
    broker.publish(2, 1);
    broker.publish(3, 2);
    broker.publish(4, 0);
    await waitUntil(() => seen.length === 4, 'all four publishes to be handed over (pipelined)');
    await flushClientWrites('marker/1');
    expect(broker.acks()).toEqual([]);

    held.sendAck(1, 1);
    held.sendAck(1, 2);
    held.sendAck(2, 3);
    await waitUntil(() => broker.acks().length === 3, 'three acks');
    expect(broker.acks()).toEqual(['puback 1', 'puback 2', 'pubrec 3']);

    // mqtt.js kept the QoS 2 message in its incoming store and completes the flow on PUBREL.
    broker.send({ cmd: 'pubrel', messageId: 3 });
    await waitUntil(() => broker.acks().length === 4, 'PUBCOMP');
    expect(broker.acks()[3]).toBe('pubcomp 3');
  });

  it('reads no further packet while admit() holds the previous one', async () => {
    const parked: Array<() => void> = [];
    const { seen } = await connect((done) => parked.push(done));
    broker.publish(1, 1);
    await waitUntil(() => seen.length === 1 && parked.length === 1, 'the first publish');
    broker.publish(2, 0);
    broker.publish(3, 2);
    await new Promise((r) => setTimeout(r, ABSENCE_CHECK_MS)); // an absence check, not a readiness wait
    expect(seen).toEqual([1]);

    (parked.shift() as () => void)();
    await waitUntil(() => seen.length === 2 && parked.length === 1, 'the QoS 0 publish after release');
    (parked.shift() as () => void)();
    await waitUntil(() => seen.length === 3, 'the QoS 2 publish after release');
    expect(seen).toEqual([1, 2, 3]);
    await flushClientWrites('marker/2');
    expect(broker.acks()).toEqual([]);
  });

  it('leaves other packets alone (SUBSCRIBE goes out, SUBACK resolves)', async () => {
    await connect((done) => done());
    const subscribed = client.subscribeAsync('a/#', { qos: 1 });
    await waitUntil(() => broker.received.some((p) => p.cmd === 'subscribe'), 'SUBSCRIBE');
    const subscribe = broker.received.find((p) => p.cmd === 'subscribe');
    broker.send({ cmd: 'suback', messageId: subscribe?.messageId ?? 0, granted: [1] });
    await expect(subscribed).resolves.toEqual([{ topic: 'a/#', qos: 1 }]);
  });
});

describe('receive maximum: the mqtt.js adaptation', () => {
  it('announces the forwarder limit but does not disconnect a broker that overshoots it', () => {
    // Created with manualConnect and never connected: nothing to close.
    const client = createMqttClient({ ...plan(1), protocolVersion: 5 }, { receiveMaximum: 1000 });
    expect(client.options.properties?.receiveMaximum).toBe(1000);
    // If mqtt.js renames this field, the tolerance silently disappears: fail here instead.
    expect((client as unknown as { _receiveMaximum: number })._receiveMaximum).toBe(65_535);
  });
});
