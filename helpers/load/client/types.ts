/**
 * The load engine's client contract (the "driver" of OpenMessaging Benchmark):
 * what producers and consumers need from one MQTT connection, whichever
 * implementation carries it. Two exist: the lean client (raw socket, no
 * per-message objects, for the rates the engine must reach) and mqtt.js (every
 * option and automatic reconnects, for the fault suites and exotic setups).
 */
import type { IClientOptions } from 'mqtt';

export type LoadClientKind = 'lean' | 'mqtt.js';

/**
 * Called when a publish is settled: QoS 0 written to the socket, QoS 1 PUBACK, QoS 2 PUBCOMP, or
 * failed. `atUs` is the read time of the socket chunk that brought the acknowledgement (QoS 1/2)
 * or the time the write completed (QoS 0): the harness's own processing delay is not in it.
 */
/** A payload the client writes straight into its packet buffer (MessageEncoder is one). */
export interface PayloadWriter {
  readonly byteLength: number;
  /** Writes `byteLength` bytes at `offset`; called once, synchronously, inside `publish`. */
  writeInto(out: Buffer, offset: number): void;
}

/** A ready Buffer as a PayloadWriter (tests, probes). */
export function bufferPayload(bytes: Buffer): PayloadWriter {
  return { byteLength: bytes.length, writeInto: (out, offset) => void bytes.copy(out, offset) };
}

export type PublishDone = (error: Error | undefined, atUs: number) => void;

/**
 * The error a publish settles with when its connection went away before it was confirmed: its
 * fate is unknown (the broker may have it), so it counts as unconfirmed, not as refused.
 */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
}

/**
 * Called for every PUBLISH delivered (QoS 2: once per packet id, however often the broker resends
 * it). `payload` may point into a reused read buffer: use it before returning, never keep it.
 * `atUs` is the read time of the socket chunk it came in.
 */
export type MessageHandler = (payload: Buffer, atUs: number) => void;

/** How a PINGREQ round trip ended: PINGRESP, the connection closed first, or neither within the bound. */
export type PingOutcome = 'answered' | 'closed' | 'timeout';

export interface LoadClientEvents {
  /** A (re)connection was accepted (after CONNACK). */
  connect: () => void;
  /** Connection lost; a reconnecting client will try again. */
  close: () => void;
  /** A reconnect attempt starts. */
  reconnect: () => void;
  /** The broker refused a subscription the client renewed by itself after reconnecting. */
  subscriptionRefused: (code: number) => void;
}

export interface LoadClient {
  readonly kind: LoadClientKind;
  readonly clientId: string;
  readonly connected: boolean;
  /** Whether it reconnects by itself after a connection loss. */
  readonly reconnects: boolean;
  /** Local TCP port of the current connection (to find its socket queues); undefined when not connected. */
  readonly localPort: number | undefined;
  /**
   * Publishes once; `done` is called exactly once. Callers bound what is in flight themselves
   * (`inflightLimit`, `writeBlocked`): the client queues nothing on its own beyond the socket.
   */
  publish(topic: string, payload: PayloadWriter, qos: 0 | 1 | 2, done: PublishDone): void;
  /**
   * Times the broker sent a new QoS 2 PUBLISH under a packet id still awaiting its PUBREL (a
   * protocol violation; seen with Mosquitto 2.0.11 when more than 65,535 QoS 2 messages queue up
   * for one subscriber). Only the lean client can tell; mqtt.js overwrites the first message.
   */
  readonly packetIdReuses: number;
  /** QoS 1/2 publishes the broker allows unacknowledged (MQTT 5 Receive Maximum); 65535 when it sets none. */
  readonly sendQuota: number;
  /** True while the socket asks writers to wait (its buffer is above the high-water mark). */
  writeBlocked(): boolean;
  /** Bytes accepted for writing that the socket has not handed to the kernel yet. */
  bufferedBytes(): number;
  /** `listener` runs once when the socket can take more (or the connection is gone). */
  onceWritable(listener: () => void): void;
  /** SUBSCRIBE; resolves with the granted QoS / reason code (≥ 0x80 is a refusal), rejects on a lost connection or timeout. */
  subscribe(filter: string, qos: 0 | 1 | 2): Promise<number>;
  onMessage(handler: MessageHandler): void;
  /**
   * One PINGREQ round trip, at most `timeoutMs`: tells whether the broker still holds this
   * connection. A connection the broker dropped closes before any PINGRESP ('closed', and the
   * 'close' event fires first); 'closed' at once when not connected.
   */
  ping(timeoutMs: number): Promise<PingOutcome>;
  on<E extends keyof LoadClientEvents>(event: E, listener: LoadClientEvents[E]): void;
  /** DISCONNECT when connected and nothing is in flight, else a forced close; never hangs on a dead broker. */
  close(): Promise<void>;
}

export interface ConnectSpec {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  /** Caller's extra options (credentials, CA, clean, properties, reconnectPeriod ...). */
  options?: IClientOptions;
  /** Attached before connecting and kept: errors after the connect are reported here. */
  onError: (error: Error) => void;
  /** Aborting ends a connect in progress at once (instead of after the connect timeout). */
  signal?: AbortSignal;
}
