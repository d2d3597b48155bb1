import { EventEmitter } from 'node:events';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProtocolVersion } from '../../../model/index.js';
import { redactUrl } from '../../../security/redact.js';
import { nowUs } from '../../clock.js';
import {
  ConnectionLostError,
  type ConnectSpec,
  type LoadClient,
  type LoadClientEvents,
  type MessageHandler,
  type PayloadWriter,
  type PingOutcome,
  type PublishDone,
} from '../types.js';
import { FrameReader } from './frame-reader.js';
import { InflightTable } from './inflight-table.js';
import {
  ackReasonCode,
  connackMessage,
  ProtocolError,
  readConnack,
  readSuback,
  skipProperties,
  type ConnackInfo,
} from './inbound.js';
import {
  ACK_BYTES,
  DISCONNECT,
  encodeConnect,
  publishLength,
  encodeSubscribe,
  PacketType,
  PINGREQ,
  publishTemplate,
  writeAck,
  writePublish,
  type PublishTemplate,
} from './packets.js';
import type { LeanOptions } from './options.js';
import { WriteScratch } from './write-scratch.js';

const DEFAULT_KEEPALIVE_S = 60;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const SUBSCRIBE_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;
/** The workload allows 16 MB payloads; anything larger from the broker is not ours. */
const MAX_INBOUND_PACKET_BYTES = 32 * 1024 * 1024;
const MAX_PACKET_ID = 65_535;
const DUP_FLAG = 0x08;
const EMPTY = Buffer.alloc(0);
const READ_BUFFER_BYTES = 64 * 1024;
/** Acknowledgements of one read are written together once the whole chunk is handled. */
const ACK_SCRATCH_BYTES = 16 * 1024;

/**
 * One buffer per thread for every socket's reads (net's `onread`): chunks are handled
 * synchronously and never kept, so no per-read allocation and no stream machinery.
 */
const READ_BUFFER = Buffer.allocUnsafe(READ_BUFFER_BYTES);
/**
 * Where the acknowledgements of the chunk being handled collect. Shared like READ_BUFFER: a chunk is
 * handled (and its acks flushed) before any other socket's read callback can run.
 */
const ACK_SCRATCH = Buffer.allocUnsafe(ACK_SCRATCH_BYTES);
/** Plain TCP only: a TLS socket's writes go through OpenSSL's buffers, whose hold on the bytes is not visible. */
const PACKET_SCRATCH = new WriteScratch();

interface SubscribeWaiter {
  resolve: (code: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A minimal MQTT 3.1.1 / 5 client for load generation: plain TCP or TLS,
 * credentials, clean or persistent session, keepalive, QoS 0/1/2 publishing
 * and receiving, no reconnects and no options beyond those (the engine picks
 * mqtt.js for anything else, see `choose-client.ts`). Per message it builds one
 * Buffer and one Map entry (QoS 1/2); reads go into a shared buffer
 * and are parsed in place; the acknowledgements of one read are written in
 * one syscall. That is what lets 1,000 connections with one message in flight
 * each run at the broker's pace rather than the client library's.
 */
export class LeanClient implements LoadClient {
  readonly kind = 'lean';
  readonly reconnects = false;
  connected = false;
  sendQuota = MAX_PACKET_ID;
  packetIdReuses = 0;
  private readonly events = new EventEmitter();
  private readonly reader: FrameReader;
  /** QoS 1/2 publishes awaiting PUBACK / PUBCOMP, and SUBSCRIBEs awaiting SUBACK (ids share one space). */
  private readonly inflight = new InflightTable();
  /** Inbound QoS 2 ids between PUBLISH and PUBREL: a resent PUBLISH is acknowledged, not delivered again. */
  private readonly receivingQos2 = new Set<number>();
  private readonly subscribes = new Map<number, SubscribeWaiter>();
  private socket: Socket | undefined;
  /** The producer publishes to one topic: its encoded name is reused from message to message. */
  private template: PublishTemplate | undefined;
  private templateTopic = '';
  private messageHandler: MessageHandler = () => undefined;
  private connackWaiter: ((info: ConnackInfo) => void) | null = null;
  private maximumQos = 2;
  private readUs = 0;
  private ackBytes = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private wroteSinceTick = false;
  private receivedSinceTick = false;
  private pingPending = false;
  /** Callers of ping() waiting for the next PINGRESP (or the close). */
  private pingWaiters: ((outcome: PingOutcome) => void)[] = [];
  private closing = false;
  private closed: Promise<void> = Promise.resolve();

  private constructor(
    private readonly spec: ConnectSpec,
    private readonly options: LeanOptions,
  ) {
    this.reader = new FrameReader(this.handlePacket, MAX_INBOUND_PACKET_BYTES);
  }

  get clientId(): string {
    return this.spec.clientId;
  }

  get localPort(): number | undefined {
    return this.connected ? this.socket?.localPort : undefined;
  }

  private get version(): ProtocolVersion {
    return this.spec.protocolVersion;
  }

  /** Connects and waits for CONNACK; rejects naming the client and the (redacted) URL. */
  static async connect(spec: ConnectSpec, options: LeanOptions): Promise<LeanClient> {
    spec.signal?.throwIfAborted();
    const client = new LeanClient(spec, options);
    await client.open();
    return client;
  }

  private open(): Promise<void> {
    const { spec, options } = this;
    const where = redactUrl(spec.url);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        cleanup();
        this.socket?.destroy();
        reject(error);
      };
      const onAbort = (): void =>
        fail(
          spec.signal?.reason instanceof Error ? spec.signal.reason : new Error(`${spec.clientId}: connect aborted`),
        );
      const timer = setTimeout(
        () =>
          fail(
            new Error(
              `${spec.clientId}: connecting to ${where} failed: no CONNACK within ${options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS} ms`,
            ),
          ),
        options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      );
      const onError = (error: Error): void =>
        fail(new Error(`${spec.clientId}: connecting to ${where} failed: ${error.message}`, { cause: error }));
      const onClose = (): void => fail(new Error(`${spec.clientId}: connection to ${where} closed before CONNACK`));
      const cleanup = (): void => {
        clearTimeout(timer);
        spec.signal?.removeEventListener('abort', onAbort);
        this.socket?.off('error', onError);
        this.socket?.off('close', onClose);
        this.connackWaiter = null;
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      this.connackWaiter = (info) => {
        if (info.code !== 0) {
          const refusal = Object.assign(new Error(connackMessage(this.version, info.code)), { code: info.code });
          onError(refusal);
          return;
        }
        settled = true;
        cleanup();
        this.accept(info);
        resolve();
      };
      const socket = this.openSocket();
      this.socket = socket;
      socket.once('error', onError);
      socket.once('close', onClose);
      socket.setNoDelay(true);
    });
  }

  private openSocket(): Socket {
    const { options } = this;
    const url = new URL(this.spec.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = options.secure;
    const port = url.port ? Number(url.port) : secure ? 8883 : 1883;
    const connectPacket = encodeConnect({
      protocolVersion: this.version,
      clientId: this.spec.clientId,
      clean: options.clean ?? true,
      keepaliveSeconds: options.keepaliveSeconds ?? DEFAULT_KEEPALIVE_S,
      username: options.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
      password: options.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
    });
    if (secure) {
      const tlsOptions: ConnectionOptions = {
        host,
        port,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
        ...(options.servername !== undefined
          ? { servername: options.servername }
          : isIP(host)
            ? {}
            : { servername: host }),
      };
      const socket = tlsConnect(tlsOptions, () => socket.write(connectPacket));
      this.watch(socket);
      // TLS sockets read through their own layer: chunks come as 'data'.
      socket.on('data', (chunk: Buffer) => this.handleChunk(chunk, chunk.length));
      return socket;
    }
    const socket = netConnect({
      host,
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.handleChunk(buffer as Buffer, bytes);
          return true;
        },
      },
    });
    socket.once('connect', () => socket.write(connectPacket));
    this.watch(socket);
    return socket;
  }

  private watch(socket: Socket): void {
    socket.on('error', (error) => {
      if (this.connected) this.spec.onError(error);
    });
    socket.on('close', this.handleClose);
  }

  private accept(info: ConnackInfo): void {
    this.connected = true;
    this.sendQuota = info.receiveMaximum;
    this.maximumQos = info.maximumQos;
    const keepalive = info.serverKeepAlive ?? this.options.keepaliveSeconds ?? DEFAULT_KEEPALIVE_S;
    if (keepalive > 0) {
      // A packet goes out at least every keepalive period [MQTT-3.1.2-23]; a PINGREQ that gets no
      // answer within the next half period means the broker is gone (or paused): close.
      this.keepaliveTimer = setInterval(this.keepaliveTick, (keepalive * 1000) / 2);
      this.keepaliveTimer.unref();
    }
    this.events.emit('connect');
  }

  private readonly keepaliveTick = (): void => {
    if (this.pingPending && !this.receivedSinceTick) {
      this.spec.onError(new Error(`${this.clientId}: no PINGRESP from the broker within the keepalive period`));
      this.socket?.destroy();
      return;
    }
    this.pingPending = false;
    if (!this.wroteSinceTick) {
      this.write(PINGREQ);
      this.pingPending = true;
    }
    this.wroteSinceTick = false;
    this.receivedSinceTick = false;
  };

  publish(topic: string, payload: PayloadWriter, qos: 0 | 1 | 2, done: PublishDone): void {
    if (!this.connected || !this.socket) {
      done(new Error('client is not connected'), nowUs());
      return;
    }
    if (qos > this.maximumQos) {
      done(new Error(`the broker's CONNACK allows at most QoS ${this.maximumQos}`), nowUs());
      return;
    }
    let template = this.template;
    if (!template || template.qos !== qos || this.templateTopic !== topic) {
      template = this.template = publishTemplate(topic, qos, this.version);
      this.templateTopic = topic;
    }
    if (qos === 0) {
      const socket = this.socket;
      this.writePublishPacket(template, 0, payload);
      // Written means handed to the kernel. Nearly always the write did that at once (libuv tries
      // a synchronous write first): confirmed now, without a callback per message. Otherwise an
      // empty write's callback tells when everything before it has gone out (writes keep order);
      // a failed write means the socket broke, and whether the bytes got out is unknown.
      if (socket.writableLength === 0) done(undefined, nowUs());
      else
        socket.write(EMPTY, (error) =>
          done(error ? new ConnectionLostError('connection closed', { cause: error }) : undefined, nowUs()),
        );
      return;
    }
    const packetId = this.inflight.add(done);
    if (packetId === 0) {
      done(new Error('all 65535 packet ids are in flight'), nowUs());
      return;
    }
    this.writePublishPacket(template, packetId, payload);
  }

  private writePublishPacket(template: PublishTemplate, packetId: number, payload: PayloadWriter): void {
    const size = publishLength(template, payload);
    const packet = this.options.secure ? Buffer.allocUnsafe(size) : PACKET_SCRATCH.view(size);
    writePublish(packet, template, packetId, payload);
    this.write(packet);
  }

  writeBlocked(): boolean {
    return this.socket?.writableNeedDrain ?? false;
  }

  bufferedBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  onceWritable(listener: () => void): void {
    const socket = this.socket;
    if (!socket || !this.connected) {
      queueMicrotask(listener);
      return;
    }
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      socket.off('drain', once);
      socket.off('close', once);
      listener();
    };
    socket.once('drain', once);
    socket.once('close', once);
  }

  subscribe(filter: string, qos: 0 | 1 | 2): Promise<number> {
    if (!this.connected) return Promise.reject(new Error('client is not connected'));
    // The id is held in the in-flight table (no publish may take it) until the SUBACK.
    const packetId = this.inflight.add(() => undefined);
    if (packetId === 0) return Promise.reject(new Error('all 65535 packet ids are in flight'));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.subscribes.delete(packetId);
        this.inflight.take(packetId);
        reject(new Error(`no SUBACK within ${SUBSCRIBE_TIMEOUT_MS} ms`));
      }, SUBSCRIBE_TIMEOUT_MS);
      this.subscribes.set(packetId, { resolve, reject, timer });
      this.write(encodeSubscribe(this.version, packetId, filter, qos));
    });
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  on<E extends keyof LoadClientEvents>(event: E, listener: LoadClientEvents[E]): void {
    this.events.on(event, listener);
  }

  ping(timeoutMs: number): Promise<PingOutcome> {
    if (!this.connected || !this.socket) return Promise.resolve('closed');
    return new Promise<PingOutcome>((resolve) => {
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      const settle = (outcome: PingOutcome): void => {
        clearTimeout(timer);
        const at = this.pingWaiters.indexOf(settle);
        if (at >= 0) this.pingWaiters.splice(at, 1);
        resolve(outcome);
      };
      this.pingWaiters.push(settle);
      this.write(PINGREQ);
    });
  }

  private settlePings(outcome: PingOutcome): void {
    for (const settle of [...this.pingWaiters]) settle(outcome);
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (this.closing || !socket) return this.closed;
    this.closing = true;
    this.closed = new Promise<void>((resolve) => {
      if (socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.connected && this.inflight.size === 0) socket.end(DISCONNECT);
      else socket.destroy();
    });
    return this.closed;
  }

  /** Writes a packet built in PACKET_SCRATCH (plain TCP) or in its own Buffer (TLS). */
  private write(packet: Buffer): void {
    this.wroteSinceTick = true;
    const socket = this.socket;
    if (!socket) return;
    if (this.options.secure) socket.write(packet);
    else PACKET_SCRATCH.write(socket, packet);
  }

  private handleChunk(chunk: Buffer, bytes: number): void {
    this.readUs = nowUs();
    this.receivedSinceTick = true;
    try {
      this.reader.push(chunk, bytes);
    } catch (error) {
      this.spec.onError(new Error(`${this.clientId}: protocol error from the broker: ${(error as Error).message}`));
      this.socket?.destroy();
    }
    this.flushAcks();
  }

  private flushAcks(): void {
    if (this.ackBytes === 0) return;
    const out = this.options.secure ? Buffer.allocUnsafe(this.ackBytes) : PACKET_SCRATCH.view(this.ackBytes);
    ACK_SCRATCH.copy(out, 0, 0, this.ackBytes);
    this.ackBytes = 0;
    this.write(out);
  }

  /** Queues an acknowledgement to go out with the others of this read. */
  private ack(type: number, packetId: number): void {
    if (this.ackBytes + ACK_BYTES > ACK_SCRATCH_BYTES) this.flushAcks();
    this.ackBytes = writeAck(ACK_SCRATCH, this.ackBytes, type, packetId);
  }

  private readonly handlePacket = (firstByte: number, data: Buffer, start: number, length: number): void => {
    switch (firstByte >> 4) {
      case PacketType.PUBLISH:
        this.handlePublish(firstByte, data, start, length);
        return;
      case PacketType.PUBACK:
        this.settle(data.readUInt16BE(start), ackReasonCode(data, start, length), 'PUBACK');
        return;
      case PacketType.PUBREC:
        this.handlePubrec(data.readUInt16BE(start), ackReasonCode(data, start, length));
        return;
      case PacketType.PUBCOMP:
        this.settle(data.readUInt16BE(start), ackReasonCode(data, start, length), 'PUBCOMP');
        return;
      case PacketType.PUBREL: {
        const packetId = data.readUInt16BE(start);
        this.receivingQos2.delete(packetId);
        this.ack(PacketType.PUBCOMP, packetId);
        return;
      }
      case PacketType.SUBACK: {
        const { packetId, code } = readSuback(this.version, data, start, length);
        const waiter = this.subscribes.get(packetId);
        if (!waiter) return;
        this.subscribes.delete(packetId);
        this.inflight.take(packetId);
        clearTimeout(waiter.timer);
        waiter.resolve(code);
        return;
      }
      case PacketType.CONNACK:
        this.connackWaiter?.(readConnack(this.version, data, start, length));
        return;
      case PacketType.PINGRESP:
        if (this.pingWaiters.length > 0) this.settlePings('answered');
        return;
      case PacketType.DISCONNECT:
        this.spec.onError(
          new Error(
            `${this.clientId}: the broker sent DISCONNECT (reason code 0x${(length > 0 ? (data[start] as number) : 0).toString(16)})`,
          ),
        );
        this.socket?.destroy();
        return;
      default:
        throw new ProtocolError(`unexpected packet type ${firstByte >> 4}`);
    }
  };

  private handlePublish(firstByte: number, data: Buffer, start: number, length: number): void {
    const end = start + length;
    const qos = (firstByte >> 1) & 3;
    if (qos === 3) throw new ProtocolError('PUBLISH with QoS 3');
    let at = start + 2 + data.readUInt16BE(start);
    let packetId = 0;
    if (qos > 0) {
      packetId = data.readUInt16BE(at);
      at += 2;
    }
    if (this.version === 5) at = skipProperties(data, at, end);
    if (at > end) throw new ProtocolError('PUBLISH shorter than its topic');
    if (qos === 2) {
      this.ack(PacketType.PUBREC, packetId);
      if (this.receivingQos2.has(packetId)) {
        // DUP=1: the broker resends a message we have, and it must not be delivered twice.
        if ((firstByte & DUP_FLAG) !== 0) return;
        // DUP=0 with an id still awaiting PUBREL is a new message under a reused id, which the
        // broker must not do (MQTT 3.1.1 §2.3.1, MQTT 5 §2.2.1); delivered (the accounting sees what it really is) and counted.
        this.packetIdReuses++;
      }
      this.receivingQos2.add(packetId);
    } else if (qos === 1) {
      this.ack(PacketType.PUBACK, packetId);
    }
    this.messageHandler(data.subarray(at, end), this.readUs);
  }

  private handlePubrec(packetId: number, reason: number): void {
    if (reason >= 0x80) {
      this.settle(packetId, reason, 'PUBREC');
      return;
    }
    // Also for an id no longer in flight: the broker holds the message until it gets PUBREL.
    this.ack(PacketType.PUBREL, packetId);
  }

  private settle(packetId: number, reason: number, packet: string): void {
    if (this.subscribes.has(packetId)) return;
    const done = this.inflight.take(packetId);
    if (!done) return;
    done(reason >= 0x80 ? new Error(`${packet} reason code 0x${reason.toString(16)}`) : undefined, this.readUs);
  }

  private readonly handleClose = (): void => {
    const wasConnected = this.connected;
    this.connected = false;
    clearInterval(this.keepaliveTimer);
    const error = new ConnectionLostError('connection closed');
    const atUs = nowUs();
    for (const done of this.inflight.takeAll()) done(error, atUs);
    for (const waiter of this.subscribes.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.subscribes.clear();
    if (wasConnected) this.events.emit('close');
    this.settlePings('closed');
  };
}
