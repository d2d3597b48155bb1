/**
 * The main process's side of the shared testbed (see shared-protocol.ts): starts each shared broker
 * and topology once, on the first request for it (requests for different ones start them side by
 * side), answers liveness, CPU and log questions about them, and disposes of them all at the end
 * of the run. A start that failed answers every later request with the same error.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Settings, StartedBroker, StartedComponent, StartedForwarder } from '../model/index.js';
import { forwarderFromSpec } from '../forwarders/registry.js';
import type { RunPlan } from './run-plan.js';
import {
  keyText,
  type SharedAnswer,
  type SharedBrokerInfo,
  type SharedInfo,
  type SharedKey,
  type SharedPart,
  type SharedRequest,
} from './shared-protocol.js';
import { BrokerPool } from './broker-pool.js';
import { startTopology, type StartedTopology } from './topology.js';

type Started = { kind: 'broker'; broker: StartedBroker } | { kind: 'topology'; topology: StartedTopology };

export class SharedTestbedServer {
  private readonly started = new Map<string, Promise<Started>>();
  private readonly sockets = new Set<Socket>();
  /** Every shared broker: a target's own, and those of its shared topologies (helpers/testbed/broker-pool.ts). */
  private readonly pool: BrokerPool;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly plan: RunPlan,
    private readonly settings: Settings,
    readonly socketPath: string,
  ) {
    this.pool = new BrokerPool(settings);
  }

  async listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening, then disposes of everything started: topologies first, then the brokers they share. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.sockets) socket.destroy();
      await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
      const errors: string[] = [];
      const all = await Promise.allSettled(this.started.values());
      for (const entry of all) {
        if (entry.status !== 'fulfilled' || entry.value.kind !== 'topology') continue;
        await entry.value.topology.dispose().catch((error: unknown) => errors.push(String(error)));
      }
      await this.pool.dispose().catch((error: unknown) => errors.push(String(error)));
      rmSync(this.socketPath, { force: true });
      if (errors.length > 0) throw new Error(`disposing the shared testbed failed: ${errors.join('; ')}`);
    })();
    return this.closing;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        void this.answer(JSON.parse(line) as SharedRequest).then((answer) => {
          if (!socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
        });
      }
    });
  }

  private async answer(request: SharedRequest): Promise<SharedAnswer> {
    try {
      const started = await this.acquire(request.key);
      if (request.op === 'acquire') return { id: request.id, ok: true, value: infoOf(started) };
      const component = partOf(started, request.part);
      if (request.op === 'logTail') return { id: request.id, ok: true, value: await component.logTail(request.lines) };
      const value = request.op === 'liveness' ? await component.liveness() : await component.cpuTime();
      return { id: request.id, ok: true, value };
    } catch (error) {
      return { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private acquire(key: SharedKey): Promise<Started> {
    const text = keyText(key);
    let started = this.started.get(text);
    if (!started) {
      started = this.start(key);
      this.started.set(text, started);
    }
    return started;
  }

  private async start(key: SharedKey): Promise<Started> {
    if (this.closing) throw new Error(`the run is ending: ${keyText(key)} is not started any more`);
    if (key.kind === 'broker') {
      const target = this.plan.targets.find((t) => t.name === key.target);
      if (!target) throw new Error(`target ${key.target} is not in this run's plan`);
      if (target.status === 'skipped') throw new Error(`${target.name} cannot run here: ${target.reason}`);
      return { kind: 'broker', broker: await this.pool.broker(target.name, target.runtime) };
    }
    const plan = this.plan.topologies.find((t) => t.id === key.id);
    if (!plan) throw new Error(`topology ${key.id} is not in this run's plan`);
    if (plan.status === 'skipped') throw new Error(`${plan.id} cannot run here: ${plan.reason}`);
    const topology = await startTopology(
      {
        downstream: plan.downstream,
        upstream: plan.upstream,
        runtime: plan.runtime,
        forwarder: forwarderFromSpec(plan.forwarder, this.settings),
      },
      this.settings,
      { brokers: (spec) => this.pool.pair(spec.downstream, spec.upstream, spec.runtime) },
    );
    return { kind: 'topology', topology };
  }
}

function partOf(started: Started, part: SharedPart): StartedComponent {
  if (started.kind === 'broker') return started.broker;
  return part === 'forwarder'
    ? started.topology.forwarder
    : part === 'upstream'
      ? started.topology.upstream
      : started.topology.downstream;
}

function brokerInfo(broker: StartedBroker): SharedBrokerInfo {
  return {
    target: broker.target,
    label: broker.label,
    runtime: broker.runtime,
    version: broker.version,
    url: broker.url,
    peer: broker.peer,
    behaviour: broker.behaviour,
    ...(broker.clientOptions ? { clientOptions: broker.clientOptions } : {}),
  };
}

function forwarderInfo(forwarder: StartedForwarder) {
  return {
    kind: forwarder.kind,
    name: forwarder.name,
    label: forwarder.label,
    runtime: forwarder.runtime,
    declaration: forwarder.declaration,
    configText: forwarder.configText,
  };
}

function infoOf(started: Started): SharedInfo {
  if (started.kind === 'broker') return brokerInfo(started.broker);
  const t = started.topology;
  return {
    id: t.id,
    runtime: t.runtime,
    downstream: brokerInfo(t.downstream),
    upstream: brokerInfo(t.upstream),
    forwarder: forwarderInfo(t.forwarder),
    routes: t.routes.map((r) => ({
      kind: r.kind,
      sourceFilter: r.rule.sourceFilter,
      targetPattern: r.rule.targetPattern,
    })),
    startupMs: t.startupMs,
  };
}
