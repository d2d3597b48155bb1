import { setMaxListeners } from 'node:events';
import { HarnessMonitor } from './harness-monitor.js';
import { encodeLatencyHistogram } from '../../stats/latency-histogram.js';
import { LiveAccounting, snapshotAccounting, type AccountingState } from '../accounting/index.js';
import { nowUs } from '../clock.js';
import { forEachLimited } from '../concurrency.js';
import { Consumer } from '../consumer.js';
import { connectClient } from '../client/choose-client.js';
import type { LoadClient } from '../client/types.js';
import { BodyPool, type ExpectedBody } from '../payload/index.js';
import { Producer } from '../producer.js';
import { RunStats } from '../run-stats.js';
import { SendLoop } from '../send-loop.js';
import type { AckStall, LoadWorker, WorkerPeriod, WorkerReport, WorkerSpec, WorkerStatus } from './types.js';

/** How often the publishers are checked for a broker that stopped acknowledging. */
const ACK_WATCH_MAX_INTERVAL_MS = 250;

/**
 * A worker in the calling thread: its publishers and subscribers are load
 * clients (lean or mqtt.js, as the run chose) on this event loop, scheduled by one SendLoop, recorded into one
 * RunStats. It is also what a worker thread runs (thread-entry.ts).
 */
export class LocalWorker implements LoadWorker {
  readonly kind = 'local';
  private readonly accounting: LiveAccounting;
  private readonly stats: RunStats;
  private readonly bodies: BodyPool;
  private readonly expectedBody: ExpectedBody;
  private readonly clients: LoadClient[] = [];
  private readonly consumers: Consumer[] = [];
  private readonly producers: Producer[] = [];
  private readonly grantedQos = new Set<number>();
  private readonly monitor = new HarnessMonitor();
  private readonly controller = new AbortController();
  private readonly ports = new Set<number>();
  private portsChanged = false;
  private loop: SendLoop | undefined;
  private monitoring = false;
  private sendStartUs = 0;
  private sendEndUs = 0;
  private heapUsedMax = 0;
  private closed = false;
  private ackWatch: NodeJS.Timeout | undefined;
  private ackStall: AckStall | null = null;

  constructor(
    readonly spec: WorkerSpec,
    startMs: number = Date.now(),
  ) {
    // Every CONNECT in flight (connectConcurrency of them) listens for the abort.
    setMaxListeners(0, this.controller.signal);
    const { workload } = spec;
    this.accounting = new LiveAccounting(spec.groupIds);
    this.stats = new RunStats(this.accounting, workload.warmupMessages, workload.ratePerSecond > 0, startMs);
    this.bodies = new BodyPool(workload.payload, workload.seed);
    const indexById = new Map<string, number>();
    // Every publisher of the run is known here, also those of other workers: receipts are recognised and checked.
    for (let i = 0; i < spec.totalPublishers; i++) {
      const id = `${spec.runTag}-${i}`;
      indexById.set(id, i);
      this.accounting.addPublisher(id);
    }
    this.expectedBody = (publisherId, seq) => {
      const index = indexById.get(publisherId);
      return index === undefined ? undefined : this.bodies.bodyFor(publisherId, index, seq);
    };
  }

  /** The live accounting, for a run whose only worker this is (no snapshot and merge needed). */
  get liveAccounting(): AccountingState {
    return { ledgers: this.accounting.ledgers, trackers: this.accounting.trackers };
  }

  async connectSubscribers(): Promise<number[]> {
    const { spec } = this;
    const { workload } = spec;
    await forEachLimited(
      spec.subscribers.length,
      workload.connectConcurrency,
      async (k) => {
        const i = spec.subscribers[k] as number;
        const clientId = `${spec.clientIdPrefix}-sub-${i}`;
        const client = await connectClient(spec.client, {
          url: spec.subscribeUrl,
          clientId,
          protocolVersion: workload.protocolVersion,
          options: spec.connectOptions,
          onError: (error) => this.stats.errors.record('subscriber', clientId, error.message),
          signal: this.controller.signal,
        });
        this.adopt(client);
        const tracker = this.accounting.trackers[workload.subscriptionMode === 'all' ? k : 0];
        if (!tracker) throw new Error(`runLoad: no receiver group for subscriber ${i}`);
        const consumer = new Consumer(clientId, client, tracker, this.stats, this.expectedBody);
        this.consumers.push(consumer);
        this.grantedQos.add(await consumer.subscribe(spec.subscribeFilter, workload.subscribeQos));
      },
      this.controller.signal,
      spec.connectRatePerSecond,
    );
    return [...this.grantedQos].sort((a, b) => a - b);
  }

  async connectPublishers(): Promise<void> {
    const { spec } = this;
    const { workload } = spec;
    const ledgers = this.accounting.ledgers;
    await forEachLimited(
      spec.publishers.length,
      workload.connectConcurrency,
      async (k) => {
        const { index, topic } = spec.publishers[k] as { index: number; topic: string };
        const clientId = `${spec.clientIdPrefix}-pub-${index}`;
        const ledger = ledgers[index];
        if (!ledger) throw new Error(`runLoad: no ledger for publisher ${index}`);
        const client = await connectClient(spec.client, {
          url: spec.publishUrl,
          clientId,
          protocolVersion: workload.protocolVersion,
          options: spec.connectOptions,
          onError: (error) => this.stats.errors.record('publisher', clientId, error.message),
          signal: this.controller.signal,
        });
        this.adopt(client);
        // The send loop addresses producers by their position in this worker.
        this.producers[k] = new Producer(k, ledger.publisherId, clientId, topic, client, ledger, {
          qos: workload.qos,
          inflightLimit: workload.inflight,
          bodies: this.bodies,
          stats: this.stats,
          bodyIndex: index,
        });
      },
      this.controller.signal,
      spec.connectRatePerSecond,
    );
  }

  localPorts(): Promise<number[]> {
    this.portsChanged = false;
    return Promise.resolve([...this.ports]);
  }

  async send(startUs: number): Promise<void> {
    this.controller.signal.throwIfAborted();
    const { workload } = this.spec;
    this.loop = new SendLoop(this.producers, {
      ratePerSecond: this.spec.ratePerSecond,
      messagesPerProducer: workload.messages === undefined ? null : workload.messages + workload.warmupMessages,
      durationMs: workload.durationMs ?? null,
      schedule: workload.sendSchedule,
      startUs,
    });
    this.monitor.start();
    this.monitoring = true;
    this.sendStartUs = Math.max(startUs, nowUs());
    this.stats.lastProgressUs = this.sendStartUs;
    this.watchAcknowledgements();
    const onAbort = (): void => this.loop?.stop();
    this.controller.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.loop.run();
    } finally {
      this.controller.signal.removeEventListener('abort', onAbort);
      this.sendEndUs = nowUs();
      for (const producer of this.producers) producer.endBlock(this.sendEndUs);
    }
    this.controller.signal.throwIfAborted();
  }

  stopSending(): void {
    this.loop?.stop();
  }

  abort(): void {
    this.controller.abort(new Error('runLoad aborted'));
    this.loop?.stop();
  }

  status(): Promise<WorkerStatus> {
    return Promise.resolve(this.statusNow());
  }

  statusNow(): WorkerStatus {
    const { stats, accounting } = this;
    return {
      published: stats.published,
      confirmed: accounting.confirmed,
      failed: accounting.failed,
      receivedKnown: accounting.receivedKnown,
      received: accounting.received,
      inflight: stats.inflight,
      missing: accounting.missing,
      lastProgressUs: stats.lastProgressUs,
      lastPublishUs: stats.lastPublishUs,
      connectionsLost: stats.connectionsLost,
      ackStall: this.ackStall,
    };
  }

  /**
   * A publisher waiting ackTimeoutMs for a PUBACK/PUBCOMP while connected ends this worker's send
   * phase (runLoad then stops the others): the broker stopped acknowledging, and waiting longer
   * only delays the verdict. Checked until the worker finishes, so a stall in the drain is named too.
   */
  private watchAcknowledgements(): void {
    const { workload } = this.spec;
    if (workload.qos === 0 || this.producers.length === 0) return;
    const limitUs = workload.ackTimeoutMs * 1000;
    this.ackWatch = setInterval(
      () => {
        if (this.ackStall) return;
        const now = nowUs();
        let worst: { producer: Producer; waitedUs: number } | undefined;
        for (const producer of this.producers) {
          const waitedUs = producer.ackWaitUs(now);
          if (waitedUs >= limitUs && (!worst || waitedUs > worst.waitedUs)) worst = { producer, waitedUs };
        }
        if (!worst) return;
        const waitedMs = Math.round(worst.waitedUs / 1000);
        this.ackStall = { clientId: worst.producer.clientId, outstanding: worst.producer.inflight, waitedMs };
        this.stats.errors.record(
          'publisher',
          worst.producer.clientId,
          `${worst.producer.inflight} publish(es) never acknowledged by the broker: no ${workload.qos === 1 ? 'PUBACK' : 'PUBCOMP'} for ${waitedMs} ms while connected (ackTimeoutMs ${workload.ackTimeoutMs}); the scenario stopped sending`,
        );
        this.loop?.stop();
      },
      Math.min(ACK_WATCH_MAX_INTERVAL_MS, Math.max(10, workload.ackTimeoutMs / 4)),
    );
    this.ackWatch.unref();
  }

  async confirmConnections(timeoutMs: number): Promise<void> {
    await Promise.all(this.clients.map((client) => client.ping(timeoutMs)));
  }

  period(): Promise<WorkerPeriod> {
    const { stats } = this;
    const endToEnd = stats.endToEnd.flushIntervalHistogram();
    const publishConfirm = stats.publishConfirm.flushIntervalHistogram();
    stats.endToEndFromIntended?.flushInterval();
    stats.sendDelay?.flushInterval();
    const heapUsedBytes = process.memoryUsage().heapUsed;
    this.heapUsedMax = Math.max(this.heapUsedMax, heapUsedBytes);
    const period: WorkerPeriod = {
      status: this.statusNow(),
      endToEnd,
      publishConfirm,
      eventLoopUtilization: this.monitoring ? this.monitor.periodUtilization() : 0,
      heapUsedBytes,
    };
    if (this.portsChanged) {
      this.portsChanged = false;
      period.localPorts = [...this.ports];
    }
    return Promise.resolve(period);
  }

  finish(): Promise<WorkerReport> {
    const { stats, accounting, spec } = this;
    // Fold the last partial period into the cumulative histograms.
    stats.endToEnd.flushInterval();
    stats.publishConfirm.flushInterval();
    stats.endToEndFromIntended?.flushInterval();
    stats.sendDelay?.flushInterval();
    const eventLoop = this.monitoring ? this.monitor.stop() : { lagP99Ms: 0, lagMaxMs: 0, utilization: 0 };
    this.monitoring = false;
    clearInterval(this.ackWatch);
    stats.frozen = true;
    this.heapUsedMax = Math.max(this.heapUsedMax, process.memoryUsage().heapUsed);
    const sendUs = this.sendEndUs > this.sendStartUs ? this.sendEndUs - this.sendStartUs : 0;
    return Promise.resolve({
      index: spec.index,
      role: spec.role,
      publishers: spec.publishers.length,
      subscribers: spec.subscribers.length,
      grantedQos: [...this.grantedQos].sort((a, b) => a - b),
      plannedMessages: spec.publishers.length === 0 ? 0 : (this.loop?.plannedMessages() ?? null),
      accounting: snapshotAccounting({ ledgers: accounting.ledgers, trackers: accounting.trackers }),
      histograms: {
        endToEnd: encodeLatencyHistogram(stats.endToEnd.cumulativeHistogram),
        endToEndFromIntended: stats.endToEndFromIntended
          ? encodeLatencyHistogram(stats.endToEndFromIntended.cumulativeHistogram)
          : null,
        sendDelay: stats.sendDelay ? encodeLatencyHistogram(stats.sendDelay.cumulativeHistogram) : null,
        publishConfirm: encodeLatencyHistogram(stats.publishConfirm.cumulativeHistogram),
      },
      negativeLatencyCount: stats.negativeLatencyCount,
      measured: {
        firstSendUs: Number.isFinite(stats.firstMeasuredSendUs) ? stats.firstMeasuredSendUs : null,
        lastSendUs: stats.lastMeasuredSendUs,
        sent: stats.measuredSent,
        lastConfirmUs: stats.lastMeasuredConfirmUs,
        confirmed: stats.measuredConfirmed,
        confirmedBytes: stats.measuredConfirmedBytes,
        lastReceiveUs: stats.lastMeasuredReceiveUs,
        received: stats.measuredReceived,
        receivedBytes: stats.measuredReceivedBytes,
      },
      maxInflight: stats.maxInflight,
      windowFullCount: stats.windowFullCount,
      maxSocketBufferedBytes: stats.maxSocketBufferedBytes,
      packetIdReuses: this.consumers.reduce((total, consumer) => total + consumer.client.packetIdReuses, 0),
      blockedUs: { ...stats.blockedUs },
      publisherUs: sendUs * spec.publishers.length,
      reconnects: { publishers: stats.publisherReconnects, subscribers: stats.subscriberReconnects },
      eventLoop,
      heapUsedMaxBytes: this.heapUsedMax,
      errors: stats.errors.list(),
      corruptedSamples: [...stats.corruptedSamples],
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stats.frozen = true;
    this.loop?.stop();
    clearInterval(this.ackWatch);
    if (this.monitoring) this.monitor.stop();
    this.monitoring = false;
    for (const producer of this.producers) producer?.detach();
    for (const consumer of this.consumers) consumer.detach();
    await Promise.all(this.clients.map((client) => client.close()));
  }

  private adopt(client: LoadClient): void {
    this.clients.push(client);
    const notePort = (): void => {
      const port = client.localPort;
      if (typeof port === 'number' && !this.ports.has(port)) {
        this.ports.add(port);
        this.portsChanged = true;
      }
    };
    notePort();
    client.on('connect', notePort);
  }
}
