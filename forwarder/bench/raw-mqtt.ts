// A minimal MQTT 3.1.1 client on mqtt-packet for load generation: batched
// socket writes, no per-message promises, QoS 0/1 publishing with a window,
// subscribing with automatic PUBACKs. Lighter than mqtt.js, so the benchmark
// measures the forwarder rather than its own client.

import { type Socket, connect } from 'node:net';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';

const CONNECT_TIMEOUT_MS = 5000;

export class RawClient {
  onPublish: (packet: IPublishPacket) => void = () => undefined;
  /** Called with the number of PUBACKs received in one socket read. */
  onPubacks: (count: number) => void = () => undefined;
  private readonly pendingWrites: Buffer[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private subackWaiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let pubacks = 0;
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'publish') {
        this.onPublish(packet);
        if (packet.qos === 1) this.write(mqttPacket.generate({ cmd: 'puback', messageId: packet.messageId as number }));
      } else if (packet.cmd === 'puback') {
        pubacks++;
      } else if (packet.cmd === 'suback') {
        this.subackWaiter?.();
      }
    });
    socket.on('data', (chunk: Buffer) => {
      parser.parse(chunk);
      if (pubacks > 0) {
        const n = pubacks;
        pubacks = 0;
        this.onPubacks(n);
      }
    });
  }

  static connect(port: number, clientId: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => reject(new Error(`no CONNACK from port ${port} within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.once('error', reject);
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const onData = (chunk: Buffer) => parser.parse(chunk);
      parser.once('packet', (packet: Packet) => {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        if (packet.cmd !== 'connack' || packet.returnCode !== 0) {
          reject(new Error(`connection refused on port ${port}`));
          return;
        }
        resolve(new RawClient(socket));
      });
      socket.on('data', onData);
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId,
          keepalive: 60,
        }),
      );
    });
  }

  subscribe(filter: string, qos: 0 | 1): Promise<void> {
    return new Promise((resolve) => {
      this.subackWaiter = resolve;
      this.write(
        mqttPacket.generate({ cmd: 'subscribe', messageId: this.id(), subscriptions: [{ topic: filter, qos }] }),
      );
    });
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, retain: false, dup: false };
    if (qos === 1) packet.messageId = this.id();
    this.write(mqttPacket.generate(packet));
  }

  /** Bytes queued for the socket (written or waiting for the next flush). */
  get backlogBytes(): number {
    return this.socket.writableLength + this.pendingWrites.length * 160;
  }

  close(): void {
    this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id === 65_535 ? 1 : id + 1;
    return id;
  }

  private write(buffer: Buffer): void {
    this.pendingWrites.push(buffer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const all = Buffer.concat(this.pendingWrites);
      this.pendingWrites.length = 0;
      this.socket.write(all);
    });
  }
}
