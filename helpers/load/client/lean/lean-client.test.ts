import { afterEach, describe, expect, it } from 'vitest';
import { startAedes, type TestBroker } from '../../testing/aedes-broker.js';
import { MOSQUITTO_MISSING, startLocalMosquitto, type LocalMosquitto } from '../../testing/local-mosquitto.js';
import { skipTest } from '../../../vitest/skip.js';
import { chooseClient, ClientChoiceError, connectClient } from '../choose-client.js';
import { bufferPayload, type LoadClient } from '../types.js';
import { LeanClient } from './lean-client.js';

const clients: LoadClient[] = [];
let aedes: TestBroker | undefined;
let mosquitto: LocalMosquitto | undefined;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await aedes?.close();
  await mosquitto?.stop();
  aedes = undefined;
  mosquitto = undefined;
});

async function lean(url: string, clientId: string, protocolVersion: 4 | 5 = 4): Promise<LoadClient> {
  const errors: Error[] = [];
  const client = await connectClient('lean', {
    url,
    clientId,
    protocolVersion,
    onError: (error) => errors.push(error),
  });
  clients.push(client);
  return client;
}

function publish(client: LoadClient, topic: string, body: string, qos: 0 | 1 | 2): Promise<number> {
  return new Promise((resolve, reject) =>
    client.publish(topic, bufferPayload(Buffer.from(body)), qos, (error, atUs) =>
      error ? reject(error) : resolve(atUs),
    ),
  );
}

/** Every payload `client` receives, as text, and a promise for the first `count` of them. */
function collect(client: LoadClient, count: number): { received: string[]; done: Promise<void> } {
  const received: string[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  client.onMessage((payload) => {
    received.push(payload.toString());
    if (received.length === count) resolve();
  });
  return { received, done };
}

const brokers = [
  ['aedes', undefined, async () => (aedes = await startAedes()).url],
  ['mosquitto', MOSQUITTO_MISSING, async () => (mosquitto = await startLocalMosquitto()).url],
] as const;

describe('lean load client', { timeout: 30_000 }, () => {
  for (const [name, missing, start] of brokers) {
    for (const protocolVersion of name === 'aedes' ? ([4] as const) : ([4, 5] as const)) {
      it(`publishes and receives at QoS 0, 1 and 2 through ${name} (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}), each message once and in order`, async (context) => {
        if (missing) skipTest(context, 'environment', missing);
        const url = await start();
        const sub = await lean(url, `lean-sub-${protocolVersion}`, protocolVersion);
        const pub = await lean(url, `lean-pub-${protocolVersion}`, protocolVersion);
        for (const qos of [0, 1, 2] as const) {
          expect(await sub.subscribe(`lean/${qos}`, qos)).toBe(qos);
          const { received, done } = collect(sub, 300);
          await Promise.all(Array.from({ length: 300 }, (_, i) => publish(pub, `lean/${qos}`, `m${i}`, qos)));
          await done;
          expect(received).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
        }
        expect(sub.packetIdReuses).toBe(0);
      });
    }
  }

  it('settles a QoS 1 publish by the read time of its PUBACK, and reports a refused subscription by its code', async () => {
    aedes = await startAedes({
      authorizeSubscribe: (_client, subscription, callback) =>
        callback(null, subscription.topic === 'denied/#' ? null : subscription),
    });
    const client = await lean(aedes.url, 'lean-stamps');
    const before = Number(process.hrtime.bigint() / 1000n);
    const atUs = await publish(client, 'stamps', 'x', 1);
    expect(atUs).toBeGreaterThanOrEqual(before);
    expect(atUs).toBeLessThanOrEqual(Number(process.hrtime.bigint() / 1000n));
    expect(await client.subscribe('denied/#', 1)).toBe(0x80);
  });

  it('fails a connect with the CONNACK refusal, naming the client and the URL without its password', async () => {
    aedes = await startAedes({
      authenticate: (_client, _user, _password, callback) =>
        callback(Object.assign(new Error('bad'), { returnCode: 4 as const }), false),
    });
    const url = aedes.url.replace('mqtt://', 'mqtt://bob:s3cret@');
    const failure = await connectClient('lean', {
      url,
      clientId: 'lean-refused',
      protocolVersion: 4,
      onError: () => undefined,
    }).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(
      /^lean-refused: connecting to mqtt:\/\/bob:\*\*\*@127\.0\.0\.1:\d+ failed: Connection refused: Bad username or password$/,
    );
    expect(((failure as Error).cause as { code?: number }).code).toBe(4);
  });

  it('fails in-flight publishes as a lost connection (unconfirmed, not refused) when the broker goes away', async () => {
    // The broker never authorises (so never acknowledges) the publish, and drops the connection.
    aedes = await startAedes({ authorizePublish: (client) => void setTimeout(() => client?.conn.destroy(), 50) });
    const client = await lean(aedes.url, 'lean-lost');
    const error = await publish(client, 'never/acked', 'x', 1).catch((failure: unknown) => failure as Error);
    expect((error as Error).name).toBe('ConnectionLostError');
    expect(client.connected).toBe(false);
  });

  for (const kind of ['lean', 'mqtt.js'] as const) {
    it(`${kind}: a ping is answered while the broker holds the connection, and reports 'closed' (after the close event) once the broker dropped it`, async () => {
      aedes = await startAedes();
      const held: { conn: { destroy(): void } }[] = [];
      aedes.broker.on('client', (connection) => held.push(connection));
      const client = await connectClient(kind, {
        url: aedes.url,
        clientId: `ping-${kind}`,
        protocolVersion: 4,
        onError: () => undefined,
        options: { reconnectPeriod: 0 },
      });
      clients.push(client);
      expect(await client.ping(2_000)).toBe('answered');
      const events: string[] = [];
      client.on('close', () => events.push('close'));
      for (const connection of held) connection.conn.destroy();
      events.push(await client.ping(2_000));
      expect(events).toEqual(['close', 'closed']);
      expect(await client.ping(2_000), 'a client that is not connected answers at once').toBe('closed');
    });
  }

  it("a ping that gets neither PINGRESP nor a close ends as 'timeout' at its bound", async () => {
    // A server that accepts the CONNECT and then stays silent.
    const { createServer } = await import('node:net');
    const server = createServer((socket) =>
      socket.once('data', () => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00]))),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = await lean(`mqtt://127.0.0.1:${port}`, 'ping-silent');
    const started = Date.now();
    expect(await client.ping(300)).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await client.close();
    server.close();
  });

  it('ends a connect at once when its signal aborts', async () => {
    const controller = new AbortController();
    // A port nobody answers MQTT on: a listening socket that never sends CONNACK.
    const { createServer } = await import('node:net');
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop now')), 100);
    await expect(
      LeanClient.connect(
        {
          url: `mqtt://127.0.0.1:${port}`,
          clientId: 'lean-abort',
          protocolVersion: 4,
          onError: () => undefined,
          signal: controller.signal,
        },
        { secure: false },
      ),
    ).rejects.toThrow('stop now');
    expect(Date.now() - started).toBeLessThan(2_000);
    server.close();
  });
});

describe('choosing the client of a run', () => {
  it('takes lean for TCP and TLS with credentials, mqtt.js for what only mqtt.js does, and says why', () => {
    expect(
      chooseClient('auto', ['mqtt://127.0.0.1:1883', 'mqtts://127.0.0.1:8883'], {
        username: 'u',
        password: 'p',
        ca: 'CA',
        clean: false,
        keepalive: 30,
      }).kind,
    ).toBe('lean');
    expect(chooseClient('auto', ['ws://127.0.0.1:8080'])).toEqual({
      kind: 'mqtt.js',
      reason: 'the lean client does not support ws:// connections (the lean client speaks TCP and TLS)',
    });
    expect(chooseClient('auto', ['mqtt://h'], { reconnectPeriod: 100 })).toEqual({
      kind: 'mqtt.js',
      reason: 'the lean client does not support reconnectPeriod 100 (the lean client does not reconnect)',
    });
    expect(chooseClient('auto', ['mqtt://h'], { properties: { sessionExpiryInterval: 60 } }).reason).toMatch(
      /MQTT 5 CONNECT properties \(sessionExpiryInterval\)/,
    );
    expect(
      chooseClient('auto', ['mqtt://h'], { will: { topic: 't', payload: Buffer.from(''), qos: 0, retain: false } })
        .reason,
    ).toMatch(/the connect option "will"/);
    expect(chooseClient('mqtt.js', ['mqtt://h']).kind).toBe('mqtt.js');
  });

  it('refuses "lean" for options it cannot honour, naming the option and the way out', () => {
    expect(() => chooseClient('lean', ['mqtt://h'], { reconnectPeriod: 100 })).toThrow(ClientChoiceError);
    expect(() => chooseClient('lean', ['mqtt://h'], { reconnectPeriod: 100 })).toThrow(
      /workload client "lean" cannot serve this run: it does not support reconnectPeriod 100.*Use client "auto" \(mqtt.js then\) or "mqtt.js"/,
    );
  });
});
