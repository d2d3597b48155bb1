import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { brokerPortOf, SocketQueueSampler } from './socket-queues.js';
import { phaseClock } from '../stats/phase-clock.js';
import type { HarnessDiagnostics, PeriodStats, SocketQueueReport } from '../stats/types.js';
import { createProgress, type ProgressReporter } from './progress.js';
import { mergedIntervalPercentiles } from '../stats/interval-recorder.js';
import { PeriodSeries } from '../stats/period-stats.js';
import { mergeAccounting, type AccountingState } from './accounting/index.js';
import { chooseClient } from './client/choose-client.js';
import { nowUs, useWallClockBase } from './clock.js';
import { drainWorkers, sumStatus } from './drain.js';
import { ErrorLog } from './error-log.js';
import { redactUrl } from '../security/redact.js';
import { buildLoadResult } from './load-result.js';
import { planShard } from './shard/shard-plan.js';
import { shardResult } from './shard/shard-result.js';
import type { LoadResult, RunLoadOptions } from './types.js';
import { workerBundleStatus } from './worker/bundle.js';
import { LocalWorker } from './worker/local-worker.js';
import { planWorkers, resolveWorkerCount } from './worker/worker-plan.js';
import { ThreadWorker, WorkerBundleError } from './worker/thread-worker.js';
import type { LoadWorker, WorkerPeriod } from './worker/types.js';
import { parseWorkload } from './workload.js';

const DEFAULT_PERIOD_MS = 1_000;
const CLIENT_ID_PREFIX_PATTERN = /^[A-Za-z0-9._-]{1,40}$/;
/** Worker threads get their start message this long before the common schedule origin. */
const THREAD_START_MARGIN_US = 10_000;
/** Bound of the PINGREQ round trip that confirms the connections after one was lost. */
const CONFIRM_CONNECTIONS_MS = 2_000;
/** How often the drain asks the workers how far they are. */
const DRAIN_POLL_MS = { local: 5, thread: 20 } as const;

/**
 * Drives one workload against a broker or a forwarding path and returns one
 * result object: subscribers connect and subscribe first (every SUBACK
 * checked), then publishers connect and publish on the schedule, then the
 * drain waits for the stragglers. With `workers` > 1 the clients run in
 * worker threads (publishers and subscribers apart) and their counters and
 * histograms are merged exactly. Setup failures (connect, SUBACK, bad
 * options) throw with a message naming what failed; failures during the run
 * (publish errors, disconnects) are counted and listed in `errors`.
 */
export function runLoad(options: RunLoadOptions): Promise<LoadResult> {
  return phaseClock.time('measurement', () => measure(options));
}

async function measure(options: RunLoadOptions): Promise<LoadResult> {
  const workload = parseWorkload(options.workload);
  checkOptions(options);
  const shard = options.shard ? planShard(workload, options.shard) : undefined;
  options.signal?.throwIfAborted();
  if (shard) useWallClockBase();

  const runTag = shard?.runTag ?? randomBytes(4).toString('hex');
  const startedAt = new Date();
  const runStartUs = nowUs();
  const rssBeforeConnectBytes = process.memoryUsage.rss();
  const shareGroup = options.shareGroup ?? options.clientIdPrefix;
  const filter =
    workload.subscriptionMode === 'shared'
      ? `$share/${shareGroup}/${options.subscribeFilter}`
      : options.subscribeFilter;
  const topics = Array.from({ length: workload.publishers }, (_, i) => topicOf(options, i));
  // Receiver groups: each subscriber in "all" mode, the one share group in "shared" mode, none when publishing only.
  const groupCount = shard?.groupCount ?? (workload.subscriptionMode === 'all' ? workload.subscribers : 1);

  const client = chooseClient(workload.client, [options.publishUrl, options.subscribeUrl], options.connectOptions);
  let count = resolveWorkerCount(workload.workers);
  if (count > 1 && workerBundleStatus().state !== 'ready') {
    // "auto" falls back to the calling thread; an explicit thread count is a promise the run must keep.
    if (workload.workers === 'auto') count = 1;
    else
      throw new WorkerBundleError(
        `runLoad: workers: ${workload.workers} requested, but ${(workerBundleStatus() as { reason: string }).reason}`,
      );
  }
  const specs = planWorkers(
    {
      workload,
      runTag,
      publishUrl: options.publishUrl,
      subscribeUrl: options.subscribeUrl,
      subscribeFilter: filter,
      clientIdPrefix: options.clientIdPrefix,
      connectOptions: options.connectOptions,
      client: client.kind,
      shareGroup,
      topics,
      ...(shard ? { share: shard } : {}),
    },
    count,
  );
  const workers: LoadWorker[] = [];
  const pollMs = DRAIN_POLL_MS[count > 1 ? 'thread' : 'local'];
  const runErrors = new ErrorLog(startedAt.getTime());
  const abortAll = (): void => {
    for (const worker of workers) worker.abort();
  };
  options.signal?.addEventListener('abort', abortAll, { once: true });
  let periodTimer: NodeJS.Timeout | undefined;
  let sampler: SocketQueueSampler | undefined;
  const progress: ProgressReporter | undefined = options.progressLabel ? createProgress() : undefined;
  const ownPublishers = shard ? shard.publishers.end - shard.publishers.start : workload.publishers;
  const totalToSend =
    workload.messages !== undefined ? (workload.messages + workload.warmupMessages) * ownPublishers : undefined;

  try {
    for (const spec of specs)
      workers.push(
        count > 1 ? new ThreadWorker(spec, startedAt.getTime()) : new LocalWorker(spec, startedAt.getTime()),
      );
    await allOrAbort(workers, (worker) => worker.connectSubscribers());
    await allOrAbort(workers, (worker) => worker.connectPublishers());
    const connectedUs = nowUs();
    // Shards begin sending together: the periods and rates of every shard cover the same window.
    const commonStartUs = await options.shard?.sync.awaitStart(options.signal);
    const sendPhaseUs = nowUs();

    const brokerPorts = [brokerPortOf(options.publishUrl), brokerPortOf(options.subscribeUrl)].filter(
      (p): p is number => p !== null,
    );
    sampler = new SocketQueueSampler(brokerPorts);
    const portsByWorker = await Promise.all(workers.map((worker) => worker.localPorts()));
    sampler.setLocalPorts(portsByWorker.flat());

    const periods = new PeriodSeries(sendPhaseUs);
    let rssMaxBytes = process.memoryUsage.rss();
    let heapUsedMaxBytes = 0;
    let sending = true;
    let periodRunning: Promise<void> | undefined;
    const closePeriod = async (): Promise<PeriodStats> => {
      const samples: WorkerPeriod[] = await Promise.all(workers.map((worker) => worker.period()));
      const totals = sumStatus(
        samples.map((s) => s.status),
        groupCount,
      );
      const period = periods.close({
        nowUs: nowUs(),
        totals: {
          published: totals.published,
          confirmed: totals.confirmed,
          received: totals.received,
          publishFailed: totals.failed,
          backlog: totals.missing,
          inflight: totals.inflight,
        },
        endToEnd: mergedIntervalPercentiles(samples.map((s) => s.endToEnd)),
        publishConfirm: mergedIntervalPercentiles(samples.map((s) => s.publishConfirm)),
        eventLoopUtilization: Math.max(...samples.map((s) => s.eventLoopUtilization)),
      });
      rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage.rss());
      heapUsedMaxBytes = Math.max(
        heapUsedMaxBytes,
        samples.reduce((total, s) => total + s.heapUsedBytes, 0),
      );
      samples.forEach((s, i) => {
        if (s.localPorts) portsByWorker[i] = s.localPorts;
      });
      if (samples.some((s) => s.localPorts)) sampler?.setLocalPorts(portsByWorker.flat());
      if (sending && totals.ackStall) {
        // One publisher's broker stopped acknowledging (the worker named it): the scenario ends for all.
        for (const worker of workers) worker.stopSending();
      } else if (sending) {
        const lastActivityUs = Math.max(totals.lastProgressUs, totals.lastPublishUs);
        if (nowUs() - lastActivityUs > workload.drainMaxMs * 1000) {
          runErrors.record(
            'run',
            'run',
            `nothing published, confirmed or received for ${workload.drainMaxMs} ms (drainMaxMs): send phase stopped`,
          );
          for (const worker of workers) worker.stopSending();
        }
      }
      progress?.update({
        label: options.progressLabel ?? '',
        sent: totals.confirmed,
        // Per receiver group, so that it compares with what was sent (fan-out receives it N times).
        received: groupCount > 0 ? Math.floor(totals.received / groupCount) : 0,
        elapsedMs: (nowUs() - sendPhaseUs) / 1000,
        idleMs: Math.max(0, (nowUs() - Math.max(totals.lastProgressUs, sendPhaseUs)) / 1000),
        ...(totalToSend !== undefined ? { totalExpected: totalToSend } : {}),
        ...(workload.durationMs !== undefined && sending ? { plannedDurationMs: workload.durationMs } : {}),
      });
      try {
        options.onPeriod?.(period);
      } catch (error) {
        runErrors.record('run', 'run', `onPeriod callback threw: ${(error as Error).message}`);
      }
      return period;
    };
    periodTimer = setInterval(() => {
      if (periodRunning) return;
      periodRunning = closePeriod()
        .then(() => undefined)
        .catch(() => undefined)
        .finally(() => {
          periodRunning = undefined;
        });
    }, options.periodMs ?? DEFAULT_PERIOD_MS);

    // Shards all add the margin, whatever their thread count, so that they stay aligned.
    const startUs = (commonStartUs ?? nowUs()) + (count > 1 || shard ? THREAD_START_MARGIN_US : 0);
    const cpuStart = process.cpuUsage();
    const cpuStartUs = nowUs();
    sampler.start();
    const publisherWorkers = workers.filter((worker) => worker.spec.publishers.length > 0);
    const intervalUs = workload.ratePerSecond > 0 ? 1e6 / workload.ratePerSecond : 0;
    // Several publishing workers (of all shards) interleave their schedules instead of sending in the same instant.
    const slotOf = (worker: LoadWorker): number =>
      Math.max(0, publisherWorkers.indexOf(worker)) * (shard?.count ?? 1) + (shard ? shard.index - 1 : 0);
    const sent = allOrAbort(workers, (worker) => worker.send(startUs + slotOf(worker) * intervalUs));
    const stopSending = (): void => {
      if (sending) for (const worker of workers) worker.stopSending();
    };
    void options.stopSendingWhen?.then(stopSending, stopSending);
    await sent;
    sending = false;
    const publishedUs = nowUs();
    const socketQueues: SocketQueueReport | null = sampler.stop();

    const drainReport = await phaseClock.time('waiting', () =>
      drainWorkers(workers, groupCount, {
        idleMs: workload.drainIdleMs,
        maxMs: workload.drainMaxMs,
        pollMs,
        signal: options.signal,
        ...(options.shard ? { peers: options.shard.sync } : {}),
      }),
    );
    options.signal?.throwIfAborted();
    // A client that lost its connection usually means a broker went away. Its other clients may
    // not have noticed yet (the drain can end first): one PINGREQ round trip each lets every
    // dropped connection be reported before the counters freeze.
    const afterDrain = sumStatus(await Promise.all(workers.map((worker) => worker.status())), groupCount);
    if (afterDrain.connectionsLost > 0)
      await Promise.all(workers.map((worker) => worker.confirmConnections(CONFIRM_CONNECTIONS_MS)));

    clearInterval(periodTimer);
    await periodRunning;
    await closePeriod();
    const reports = await Promise.all(workers.map((worker) => worker.finish()));
    const cpuUsed = process.cpuUsage(cpuStart);
    const endUs = nowUs();
    const accounting: AccountingState =
      workers.length === 1 && workers[0] instanceof LocalWorker
        ? workers[0].liveAccounting
        : mergeAccounting(reports.map((r) => r.accounting));
    const wallMs = (endUs - cpuStartUs) / 1000;
    const cpu: HarnessDiagnostics['cpu'] = {
      userMs: Math.round(cpuUsed.user / 1000),
      systemMs: Math.round(cpuUsed.system / 1000),
      wallMs: Math.round(wallMs),
      shareOfOneCore: wallMs > 0 ? Math.round(((cpuUsed.user + cpuUsed.system) / 1000 / wallMs) * 1000) / 1000 : 0,
      cores: availableParallelism(),
    };
    const result = buildLoadResult({
      workload,
      runTag,
      target: {
        publishUrl: redactUrl(options.publishUrl),
        subscribeUrl: redactUrl(options.subscribeUrl),
        subscribeFilter: filter,
        exampleTopic: topics[0] ?? '',
        clientIdPrefix: options.clientIdPrefix,
        grantedQos: [],
      },
      startedAt,
      endedAt: new Date(),
      timingsMs: {
        connect: ms(connectedUs - runStartUs),
        publish: ms(publishedUs - sendPhaseUs),
        drain: ms(endUs - publishedUs),
        total: ms(endUs - runStartUs),
      },
      drain: drainReport,
      accounting,
      reports,
      runErrors: runErrors.list(),
      periods: periods.series,
      socketQueues,
      cpu,
      memory: {
        rssBeforeConnectBytes,
        rssMaxBytes: Math.max(rssMaxBytes, process.memoryUsage.rss()),
        heapUsedMaxBytes,
      },
      workers: { requested: workload.workers, used: workers.length, kind: count > 1 ? 'threads' : 'local' },
      client: { requested: workload.client, used: client.kind, reason: client.reason },
      includeAccounting: (options.includeAccounting ?? false) || shard !== undefined,
      ...(shard ? { requestedRatePerSecond: (workload.ratePerSecond * ownPublishers) / workload.publishers } : {}),
    });
    if (!shard || !options.shard) return result;
    return shardResult(result, { plan: shard, accounting, reports, sync: options.shard.sync.report() });
  } catch (error) {
    // Aborted: reject with the caller's reason, not with whichever phase noticed it first.
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  } finally {
    clearInterval(periodTimer);
    progress?.done();
    sampler?.stop();
    options.signal?.removeEventListener('abort', abortAll);
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

/**
 * Runs one phase on every worker; the first failure aborts the others (a
 * connect in progress ends at once) and, once every worker settled, is thrown.
 */
async function allOrAbort<T>(workers: readonly LoadWorker[], phase: (worker: LoadWorker) => Promise<T>): Promise<T[]> {
  let failed = false;
  const settled = await Promise.allSettled(
    workers.map((worker) =>
      phase(worker).catch((error: unknown) => {
        if (!failed) {
          failed = true;
          for (const other of workers) if (other !== worker) other.abort();
        }
        throw error;
      }),
    ),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function topicOf(options: RunLoadOptions, index: number): string {
  const topic = options.topicFor(index);
  if (typeof topic !== 'string' || topic.length === 0 || /[#+]/.test(topic) || topic.includes('\u0000')) {
    throw new RangeError(
      `runLoad: topicFor(${index}) returned ${JSON.stringify(topic)}; a topic name must be non-empty without "#", "+" or NUL [MQTT-3.3.2-2]`,
    );
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
      throw new RangeError(
        `runLoad: ${name} ${JSON.stringify(redactUrl(url))} must be an mqtt://, mqtts://, ws:// or wss:// URL`,
      );
    }
  }
  if (options.periodMs !== undefined && !(options.periodMs >= 10)) {
    throw new RangeError(`runLoad: periodMs must be ≥ 10, got ${options.periodMs}`);
  }
}

function ms(us: number): number {
  return Math.round(us / 100) / 10;
}
