/**
 * Entry of a load worker thread (bundled into dist/load-worker.mjs by
 * `npm run build`): runs one LocalWorker and answers the main thread's
 * requests. Requests are served concurrently: status and period polls arrive
 * while `send` is still running.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setClockOffsetUs } from '../clock.js';
import { LocalWorker } from './local-worker.js';
import { WORKER_PROTOCOL_VERSION, type WorkerInit, type WorkerRequest, type WorkerResponse } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('load-worker.mjs runs as a worker thread (new Worker(...)), not on its own');
const init = workerData as WorkerInit;
if (init.protocol !== WORKER_PROTOCOL_VERSION) {
  throw new Error(
    `load worker protocol ${WORKER_PROTOCOL_VERSION} in the bundle, ${init.protocol} in the main thread: run "npm run build"`,
  );
}
setClockOffsetUs(init.clockOffsetUs);
const worker = new LocalWorker(init.spec, init.startMs);

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.method) {
    case 'connectSubscribers':
      return worker.connectSubscribers();
    case 'connectPublishers':
      return worker.connectPublishers();
    case 'localPorts':
      return worker.localPorts();
    case 'send':
      return worker.send(request.startUs ?? 0);
    case 'stopSending':
      return worker.stopSending();
    case 'abort':
      return worker.abort();
    case 'status':
      return worker.status();
    case 'period':
      return worker.period();
    case 'confirmConnections':
      return worker.confirmConnections(request.timeoutMs ?? 0);
    case 'finish':
      return worker.finish();
    case 'close':
      return worker.close();
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value: value ?? null } satisfies WorkerResponse),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      port.postMessage({
        id: request.id,
        ok: false,
        error: { message: err.message, stack: err.stack },
      } satisfies WorkerResponse);
    },
  );
});
