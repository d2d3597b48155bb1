import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { clockOffsetUs } from '../clock.js';
import { workerBundleStatus } from './bundle.js';
import {
  WORKER_PROTOCOL_VERSION,
  type WorkerInit,
  type WorkerMethod,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol.js';
import type { LoadWorker, WorkerPeriod, WorkerReport, WorkerSpec, WorkerStatus } from './types.js';

/** A thread that will not close its clients in this time is terminated. */
const CLOSE_TIMEOUT_MS = 10_000;

export class WorkerBundleError extends Error {
  override name = 'WorkerBundleError';
}

/**
 * A worker in a worker thread: the thread runs a LocalWorker from the bundle
 * (dist/load-worker.mjs) and this proxy forwards each phase as a message.
 */
export class ThreadWorker implements LoadWorker {
  readonly kind = 'thread';
  private readonly thread: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; method: WorkerMethod }
  >();
  private nextId = 1;
  private failure: Error | undefined;
  private exited = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly spec: WorkerSpec,
    startMs: number,
  ) {
    const bundle = workerBundleStatus();
    if (bundle.state !== 'ready') throw new WorkerBundleError(bundle.reason);
    try {
      structuredClone(spec.connectOptions);
    } catch (error) {
      throw new RangeError(
        `runLoad: connectOptions cannot be passed to a worker thread (${(error as Error).message}); use workers: 1 with options that hold functions`,
        { cause: error },
      );
    }
    const init: WorkerInit = { protocol: WORKER_PROTOCOL_VERSION, spec, startMs, clockOffsetUs: clockOffsetUs() };
    this.thread = new Worker(pathToFileURL(bundle.path), {
      workerData: init,
      name: `mtb-load-${spec.index}-${spec.role}`,
    });
    this.thread.on('message', (response: WorkerResponse) => this.settle(response));
    this.thread.on('error', (error) =>
      this.fail(new Error(`load worker ${spec.index} (${spec.role}) failed: ${error.message}`, { cause: error })),
    );
    this.thread.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`load worker ${spec.index} (${spec.role}) exited with code ${code}`));
    });
  }

  connectSubscribers(): Promise<number[]> {
    return this.call('connectSubscribers') as Promise<number[]>;
  }

  async connectPublishers(): Promise<void> {
    await this.call('connectPublishers');
  }

  localPorts(): Promise<number[]> {
    return this.call('localPorts') as Promise<number[]>;
  }

  async send(startUs: number): Promise<void> {
    await this.call('send', { startUs });
  }

  stopSending(): void {
    this.call('stopSending').catch(() => undefined);
  }

  abort(): void {
    this.call('abort').catch(() => undefined);
  }

  status(): Promise<WorkerStatus> {
    return this.call('status') as Promise<WorkerStatus>;
  }

  period(): Promise<WorkerPeriod> {
    return this.call('period') as Promise<WorkerPeriod>;
  }

  async confirmConnections(timeoutMs: number): Promise<void> {
    await this.call('confirmConnections', { timeoutMs });
  }

  finish(): Promise<WorkerReport> {
    return this.call('finish') as Promise<WorkerReport>;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.exited && !this.failure) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.call('close').catch(() => undefined),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
      }
      if (!this.exited) await this.thread.terminate();
    })();
    return this.closing;
  }

  private call(method: WorkerMethod, args: Pick<WorkerRequest, 'startUs' | 'timeoutMs'> = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      const request: WorkerRequest = { id, method, ...args };
      this.thread.postMessage(request);
    });
  }

  private settle(response: WorkerResponse): void {
    const waiting = this.pending.get(response.id);
    if (!waiting) return;
    this.pending.delete(response.id);
    if (response.ok) {
      waiting.resolve(response.value);
    } else {
      const error = new Error(response.error.message);
      if (response.error.stack)
        error.stack = `${response.error.stack}\n    at load worker ${this.spec.index} (${waiting.method})`;
      waiting.reject(error);
    }
  }

  private fail(error: Error): void {
    if (this.closing && this.exited && this.pending.size === 0) return;
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}
