import type { WorkerSpec } from './types.js';

/** Bumped whenever a message shape changes; main thread and bundle must agree. */
export const WORKER_PROTOCOL_VERSION = 3;

export type WorkerMethod =
  | 'connectSubscribers'
  | 'connectPublishers'
  | 'localPorts'
  | 'send'
  | 'stopSending'
  | 'abort'
  | 'status'
  | 'period'
  | 'confirmConnections'
  | 'finish'
  | 'close';

export interface WorkerInit {
  protocol: number;
  spec: WorkerSpec;
  startMs: number;
  /** The main thread's clock offset (helpers/load/clock.ts), so stamps of every thread compare. */
  clockOffsetUs: number;
}

export interface WorkerRequest {
  id: number;
  method: WorkerMethod;
  /** Only `send`: the common schedule origin, µs on the engine's clock. */
  startUs?: number;
  /** Only `confirmConnections`: the bound of the PINGREQ round trip. */
  timeoutMs?: number;
}

export type WorkerResponse =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; stack?: string } };
