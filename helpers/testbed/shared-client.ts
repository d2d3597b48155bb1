/**
 * A test worker's side of the shared testbed (see shared-protocol.ts): asks the run's main process
 * for a broker or topology and returns a stand-in with the same interface as a started one. Its
 * liveness, CPU time and logs are asked of the main process, which holds the real components; it
 * has no fault controls (a test that needs them starts its own), and disposing it does nothing (the
 * run disposes of shared components at its end).
 */
import { connect, type Socket } from 'node:net';
import type { FaultControls, FaultName, StartedBroker, StartedForwarder } from '../model/index.js';
import {
  keyText,
  type SharedAnswer,
  type SharedAnswers,
  type SharedBrokerInfo,
  type SharedKey,
  type SharedPart,
  type SharedRequest,
  type SharedTopologyInfo,
} from './shared-protocol.js';
import { routeFromRule } from './topics.js';
import type { StartedTopology } from './topology.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** One connection per worker process to the main process's shared testbed. */
export class SharedTestbedClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.unref(); // never what keeps a worker alive
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () =>
      this.failAll(new Error('the connection to the shared testbed closed (the run is ending)')),
    );
    socket.on('error', (error) => this.failAll(error));
  }

  static connect(socketPath: string): Promise<SharedTestbedClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath, () => {
        socket.off('error', reject);
        resolve(new SharedTestbedClient(socket));
      });
      socket.once('error', reject);
    });
  }

  async broker(key: Extract<SharedKey, { kind: 'broker' }>): Promise<StartedBroker> {
    const info = (await this.request({ op: 'acquire', key })) as SharedBrokerInfo;
    return this.brokerStandIn(key, 'broker', info);
  }

  async topology(key: Extract<SharedKey, { kind: 'topology' }>): Promise<StartedTopology> {
    const info = (await this.request({ op: 'acquire', key })) as SharedTopologyInfo;
    const routes = info.routes.map((r) =>
      routeFromRule({ route: r.kind, sourceFilter: r.sourceFilter, targetPattern: r.targetPattern }),
    );
    const f = info.forwarder;
    const forwarder: StartedForwarder = {
      ...f,
      faults: noFaults(f.label),
      ...this.questions(key, 'forwarder'),
      dispose: () => Promise.resolve(),
    };
    return {
      id: info.id,
      runtime: info.runtime,
      downstream: this.brokerStandIn(key, 'downstream', info.downstream),
      upstream: this.brokerStandIn(key, 'upstream', info.upstream),
      forwarder,
      routes,
      startupMs: info.startupMs,
      route(kind) {
        const route = routes.find((r) => r.kind === kind);
        if (!route)
          throw new Error(
            `${f.name} does not implement the "${kind}" route (it declares ${f.declaration.routes.join(', ')}).`,
          );
        return route;
      },
      probe: () => Promise.reject(new Error(`${info.id} is shared by the run's test files: it is not probed again`)),
      dispose: () => Promise.resolve(),
    };
  }

  private brokerStandIn(key: SharedKey, part: SharedPart, info: SharedBrokerInfo): StartedBroker {
    return { ...info, faults: noFaults(info.label), ...this.questions(key, part), dispose: () => Promise.resolve() };
  }

  private questions(key: SharedKey, part: SharedPart) {
    return {
      liveness: () => this.request({ op: 'liveness', key, part }) as Promise<SharedAnswers['liveness']>,
      cpuTime: () => this.request({ op: 'cpuTime', key, part }) as Promise<SharedAnswers['cpuTime']>,
      logTail: (lines = 30) => this.request({ op: 'logTail', key, part, lines }) as Promise<SharedAnswers['logTail']>,
    };
  }

  private request(request: DistributiveOmit<SharedRequest, 'id'>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve,
        reject: (error) => reject(new Error(`shared testbed, ${keyText(request.key)}: ${error.message}`)),
      });
      this.socket.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
      const answer = JSON.parse(this.buffered.slice(0, newline)) as SharedAnswer;
      this.buffered = this.buffered.slice(newline + 1);
      const pending = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (answer.ok) pending?.resolve(answer.value);
      else pending?.reject(new Error(answer.error));
    }
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A shared component takes no faults: other files use it at the same time. */
function noFaults(label: string): FaultControls {
  const refuse = (): Promise<void> =>
    Promise.reject(new Error(`${label} is shared by the run's test files: a test that injects faults starts its own`));
  return {
    supported: new Set<FaultName>(),
    stop: refuse,
    kill: refuse,
    start: refuse,
    restart: refuse,
    pause: refuse,
    resume: refuse,
  };
}
