import { availableParallelism } from 'node:os';
import type { IndexRange } from '../shard/shard-plan.js';
import type { Workload } from '../workload.js';
import type { WorkerRole, WorkerSpec } from './types.js';

/** "auto" never starts more threads than this. */
const MAX_AUTO_WORKERS = 8;

/**
 * Threads for `workers`: the number itself, or for "auto" half the cores (at
 * least 1), leaving the other half to the brokers and forwarder under test.
 * On the 2-core reference machine "auto" is 1: two harness threads measured
 * slower than one there, because they take the broker's core.
 */
export function resolveWorkerCount(workers: number | 'auto', cores: number = availableParallelism()): number {
  if (workers === 'auto') return Math.max(1, Math.min(MAX_AUTO_WORKERS, Math.floor(cores / 2)));
  return workers;
}

export interface WorkerPlanInput {
  workload: Workload;
  runTag: string;
  publishUrl: string;
  subscribeUrl: string;
  subscribeFilter: string;
  clientIdPrefix: string;
  connectOptions?: WorkerSpec['connectOptions'];
  client: WorkerSpec['client'];
  shareGroup: string;
  /** Topic of each publisher (global index). */
  topics: string[];
  /** A sharded run's share of the clients (global indices); default: all of them. */
  share?: { publishers: IndexRange; subscribers: IndexRange };
}

/**
 * Splits a run over `count` workers. One worker runs everything; more keep
 * publishers and subscribers in separate threads (a publishing thread and a
 * receiving thread do not steal each other's event loop), each role split
 * into contiguous, even chunks. Rates and the connection ramp-up are shared
 * out in proportion to the clients each worker has.
 */
export function planWorkers(input: WorkerPlanInput, count: number): WorkerSpec[] {
  const { workload } = input;
  const publisherCount = workload.publishers;
  const subscriberCount = workload.subscribers;
  const groupOf = (i: number): string =>
    workload.subscriptionMode === 'all' ? `${input.clientIdPrefix}-sub-${i}` : input.shareGroup;
  const base = (index: number, role: WorkerRole, publishers: number[], subscribers: number[]): WorkerSpec => ({
    index,
    role,
    runTag: input.runTag,
    workload,
    publishUrl: input.publishUrl,
    subscribeUrl: input.subscribeUrl,
    subscribeFilter: input.subscribeFilter,
    clientIdPrefix: input.clientIdPrefix,
    ...(input.connectOptions ? { connectOptions: input.connectOptions } : {}),
    client: input.client,
    publishers: publishers.map((i) => ({ index: i, topic: input.topics[i] as string })),
    subscribers,
    groupIds: [...new Set(subscribers.map(groupOf))],
    totalPublishers: publisherCount,
    ratePerSecond: (workload.ratePerSecond * publishers.length) / publisherCount,
    connectRatePerSecond:
      role === 'mixed'
        ? (workload.connectRatePerSecond * (publishers.length + subscribers.length)) /
          (publisherCount + subscriberCount)
        : workload.connectRatePerSecond *
          (role === 'publishers' ? publishers.length / publisherCount : subscribers.length / subscriberCount),
  });
  const range = ({ start, end }: IndexRange): number[] => Array.from({ length: end - start }, (_, i) => start + i);
  const ownPublishers = range(input.share?.publishers ?? { start: 0, end: publisherCount });
  const ownSubscribers = range(input.share?.subscribers ?? { start: 0, end: subscriberCount });
  if (count <= 1) return [base(0, 'mixed', ownPublishers, ownSubscribers)];

  let publisherThreads = Math.min(ownPublishers.length, Math.max(1, Math.floor(count / 2)));
  const subscriberThreads = Math.min(ownSubscribers.length, Math.max(1, count - publisherThreads));
  publisherThreads = Math.min(ownPublishers.length, Math.max(publisherThreads, count - subscriberThreads));
  const specs: WorkerSpec[] = [];
  for (const chunk of chunks(ownPublishers, publisherThreads)) specs.push(base(specs.length, 'publishers', chunk, []));
  for (const chunk of chunks(ownSubscribers, subscriberThreads))
    specs.push(base(specs.length, 'subscribers', [], chunk));
  return specs;
}

function chunks(items: number[], parts: number): number[][] {
  const result: number[][] = [];
  let start = 0;
  for (let part = 0; part < parts; part++) {
    const size = Math.floor(items.length / parts) + (part < items.length % parts ? 1 : 0);
    result.push(items.slice(start, start + size));
    start += size;
  }
  return result;
}
