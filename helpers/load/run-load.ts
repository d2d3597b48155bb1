import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { HarnessMonitor, type EventLoopReport } from '../stats/harness-monitor.js';
import { PeriodSeries } from '../stats/period-stats.js';
import { LiveAccounting } from './accounting/index.js';
import { nowUs } from './clock.js';
import { forEachLimited } from './concurrency.js';
import { Consumer } from './consumer.js';
import { drain, type DrainReport } from './drain.js';
import { closeLoadClient, connectLoadClient, redactUrl } from './mqtt-connect.js';
import { BodyPool, type ExpectedBody } from './payload/index.js';
import { Producer } from './producer.js';
import { buildLoadResult } from './result.js';
import { RunStats } from './run-stats.js';
import { SendLoop } from './send-loop.js';
import type { LoadResult, RunLoadOptions } from './types.js';
import { parseWorkload, type Workload } from './workload.js';

/** Parallel CONNECTs: enough to set up 1,000 clients quickly without a SYN burst. */
const CONNECT_CONCURRENCY = 64;
const DEFAULT_PERIOD_MS = 1_000;
const CLIENT_ID_PREFIX_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;

/**
 * Drives one workload against a broker or a forwarding path and returns one
 * result object: subscribers connect and subscribe first (every SUBACK
 * checked), then publishers connect and publish on the schedule, then the
 * drain waits for the stragglers. Setup failures (connect, SUBACK, bad
 * options) throw with a message naming what failed; failures during the run
 * (publish errors, disconnects) are counted and listed in `errors`.
 */
export async function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  const workload = parseWorkload(options.workload);
  checkOptions(options);
  options.signal?.throwIfAborted();

  const runTag = randomBytes(4).toString('hex');
  const startedAt = new Date();
  const runStartUs = nowUs();
  const groupIds =
    workload.subscriptionMode === 'all'
      ? Array.from({ length: workload.subscribers }, (_, i) => subscriberId(options, i))
      : [options.shareGroup ?? options.clientIdPrefix];
  const accounting = new LiveAccounting(groupIds);
  const stats = new RunStats(accounting, workload.warmupMessages, workload.ratePerSecond > 0, startedAt.getTime());
  const bodies = new BodyPool(workload.payload, workload.seed);
  const publisherIndexById = new Map<string, number>();
  const expectedBody: ExpectedBody = (publisherId, seq) => {
    const index = publisherIndexById.get(publisherId);
    return index === undefined ? undefined : bodies.bodyFor(publisherId, index, seq);
  };
  const reconnects = (options.connectOptions?.reconnectPeriod ?? 0) > 0;
  const filter =
    workload.subscriptionMode === 'shared'
      ? `$share/${options.shareGroup ?? options.clientIdPrefix}/${options.subscribeFilter}`
      : options.subscribeFilter;

  const clients: MqttClient[] = [];
  const consumers: Consumer[] = [];
  const producers: Producer[] = [];
  const grantedQos = new Set<number>();
  const monitor = new HarnessMonitor();
  let monitoring = false;
  let periodTimer: NodeJS.Timeout | undefined;
  let loop: SendLoop | undefined;
  const stopOnAbort = (): void => loop?.stop();

  try {
    await forEachLimited(
      workload.subscribers,
      CONNECT_CONCURRENCY,
      async (i) => {
        const clientId = subscriberId(options, i);
        const client = await connectLoadClient({
          url: options.subscribeUrl,
          clientId,
          protocolVersion: workload.protocolVersion,
          options: options.connectOptions,
          onError: (error) => stats.errors.record('subscriber', clientId, error.message),
        });
        clients.push(client);
        const tracker = accounting.trackers[workload.subscriptionMode === 'all' ? i : 0];
        if (!tracker) throw new Error(`runLoad: no receiver group for subscriber ${i}`);
        const consumer = new Consumer(clientId, client, tracker, stats, expectedBody);
        consumers.push(consumer);
        grantedQos.add(await consumer.subscribe(filter, workload.subscribeQos));
      },
      options.signal,
    );

    const ledgers = Array.from({ length: workload.publishers }, (_, i) => {
      publisherIndexById.set(`${runTag}-${i}`, i);
      return accounting.addPublisher(`${runTag}-${i}`);
    });
    await forEachLimited(
      workload.publishers,
      CONNECT_CONCURRENCY,
      async (i) => {
        const clientId = `${options.clientIdPrefix}-pub-${i}`;
        const ledger = ledgers[i];
        if (!ledger) throw new Error(`runLoad: no ledger for publisher ${i}`);
        const client = await connectLoadClient({
          url: options.publishUrl,
          clientId,
          protocolVersion: workload.protocolVersion,
          options: options.connectOptions,
          onError: (error) => stats.errors.record('publisher', clientId, error.message),
        });
        clients.push(client);
        producers[i] = new Producer(i, ledger.publisherId, clientId, topicOf(options, i), client, ledger, {
          qos: workload.qos,
          inflightLimit: workload.inflight,
          bodies,
          stats,
          reconnects,
        });
      },
      options.signal,
    );
    const connectedUs = nowUs();

    loop = new SendLoop(producers, planOf(workload));
    const periods = new PeriodSeries(connectedUs);
    const closePeriod = (): void => {
      const period = periods.close({
        nowUs: nowUs(),
        totals: {
          published: stats.published,
          confirmed: accounting.confirmed,
          received: accounting.received,
          publishFailed: accounting.failed,
          backlog: accounting.missing,
          inflight: stats.inflight,
        },
        endToEnd: stats.endToEnd.flushInterval(),
        publishConfirm: stats.publishConfirm.flushInterval(),
        eventLoopUtilization: monitor.periodUtilization(),
      });
      stats.endToEndFromIntended?.flushInterval();
      stats.sendDelay?.flushInterval();
      try {
        options.onPeriod?.(period);
      } catch (error) {
        stats.errors.record('run', 'run', `onPeriod callback threw: ${(error as Error).message}`);
      }
    };
    let sending = true;
    periodTimer = setInterval(() => {
      closePeriod();
      const lastActivityUs = Math.max(stats.lastProgressUs, stats.lastPublishUs);
      if (sending && nowUs() - lastActivityUs > workload.drainMaxMs * 1000) {
        stats.errors.record(
          'run',
          'run',
          `nothing published, confirmed or received for ${workload.drainMaxMs} ms (drainMaxMs): send phase stopped`,
        );
        loop?.stop();
      }
    }, options.periodMs ?? DEFAULT_PERIOD_MS);
    monitor.start();
    monitoring = true;
    options.signal?.addEventListener('abort', stopOnAbort, { once: true });

    stats.lastProgressUs = nowUs();
    await loop.run();
    sending = false;
    const publishedUs = nowUs();
    const drainReport: DrainReport = await drain(stats, {
      idleMs: workload.drainIdleMs,
      maxMs: workload.drainMaxMs,
      signal: options.signal,
    });
    options.signal?.throwIfAborted();

    clearInterval(periodTimer);
    closePeriod();
    const eventLoop: EventLoopReport = monitor.stop();
    monitoring = false;
    stats.frozen = true;
    const endUs = nowUs();
    return buildLoadResult({
      workload,
      runTag,
      target: {
        publishUrl: redactUrl(options.publishUrl),
        subscribeUrl: redactUrl(options.subscribeUrl),
        subscribeFilter: filter,
        exampleTopic: topicOf(options, 0),
        clientIdPrefix: options.clientIdPrefix,
        grantedQos: [...grantedQos].sort((a, b) => a - b),
      },
      startedAt,
      endedAt: new Date(),
      timingsMs: {
        connect: ms(connectedUs - runStartUs),
        publish: ms(publishedUs - connectedUs),
        drain: ms(endUs - publishedUs),
        total: ms(endUs - runStartUs),
      },
      plannedMessages: loop.plannedMessages(),
      drain: drainReport,
      stats,
      periods: periods.series,
      eventLoop,
      includeAccounting: options.includeAccounting ?? false,
    });
  } finally {
    stats.frozen = true;
    clearInterval(periodTimer);
    loop?.stop();
    if (monitoring) monitor.stop();
    options.signal?.removeEventListener('abort', stopOnAbort);
    for (const producer of producers) producer?.detach();
    for (const consumer of consumers) consumer.detach();
    await Promise.all(clients.map((client) => closeLoadClient(client)));
  }
}

function planOf(workload: Workload): ConstructorParameters<typeof SendLoop>[1] {
  return {
    ratePerSecond: workload.ratePerSecond,
    messagesPerProducer: workload.messages === undefined ? null : workload.messages + workload.warmupMessages,
    durationMs: workload.durationMs ?? null,
  };
}

function subscriberId(options: RunLoadOptions, index: number): string {
  return `${options.clientIdPrefix}-sub-${index}`;
}

function topicOf(options: RunLoadOptions, index: number): string {
  const topic = options.topicFor(index);
  if (typeof topic !== 'string' || topic.length === 0 || /[#+]/.test(topic) || topic.includes('\u0000')) {
    throw new RangeError(`runLoad: topicFor(${index}) returned ${JSON.stringify(topic)}; a topic name must be non-empty without "#", "+" or NUL [MQTT-3.3.2-2]`);
  }
  return topic;
}

function checkOptions(options: RunLoadOptions): void {
  if (!CLIENT_ID_PREFIX_PATTERN.test(options.clientIdPrefix)) {
    throw new RangeError(
      `runLoad: clientIdPrefix ${JSON.stringify(options.clientIdPrefix)} must be 1 to 40 letters, digits, ".", "_" or "-"`,
    );
  }
  if (options.subscribeFilter.length === 0) throw new RangeError('runLoad: subscribeFilter must not be empty');
  for (const [name, url] of [
    ['publishUrl', options.publishUrl],
    ['subscribeUrl', options.subscribeUrl],
  ] as const) {
    if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) {
      throw new RangeError(`runLoad: ${name} ${JSON.stringify(redactUrl(url))} must be an mqtt://, mqtts://, ws:// or wss:// URL`);
    }
  }
  if (options.periodMs !== undefined && !(options.periodMs >= 10)) {
    throw new RangeError(`runLoad: periodMs must be ≥ 10, got ${options.periodMs}`);
  }
}

function ms(us: number): number {
  return Math.round(us / 100) / 10;
}
