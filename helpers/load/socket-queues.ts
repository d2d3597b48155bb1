import { readFileSync } from 'node:fs';
import type { SocketQueueReport } from '../stats/types.js';

/**
 * Who is behind reading? The kernel knows: bytes that arrived on a TCP socket
 * and were not read yet wait in its receive queue (`rx_queue` in
 * /proc/net/tcp). Unread bytes on the harness's own sockets mean the harness
 * did not keep up with what the broker sent; unread bytes on the broker's
 * ends of the same connections (visible when the broker is a local process
 * on loopback) mean the broker did not keep up with the harness. Sampled a
 * few times per second during the send phase; Linux only (null elsewhere).
 * A queue builds up in front of the bottleneck (see saturation.ts).
 */

/** Sum of unread bytes on one side above which a sample counts as backlogged. */
export const SOCKET_BACKLOG_BYTES = 256 * 1024;
const DEFAULT_INTERVAL_MS = 250;
const TCP_ESTABLISHED = '01';
const PROC_FILES = ['/proc/net/tcp', '/proc/net/tcp6'];

export interface QueueSample {
  sockets: number;
  peerSockets: number;
  harnessRx: number;
  peerRx: number;
}

/**
 * Sums receive queues from /proc/net/tcp text: harness sockets are those with
 * a local port in `localPorts` and a remote port in `brokerPorts`; their peers
 * are the reverse.
 */
export function sampleQueues(
  texts: readonly string[],
  localPorts: ReadonlySet<number>,
  brokerPorts: ReadonlySet<number>,
): QueueSample {
  const sample: QueueSample = { sockets: 0, peerSockets: 0, harnessRx: 0, peerRx: 0 };
  for (const text of texts) {
    let lineStart = text.indexOf('\n') + 1; // skip the header line
    while (lineStart > 0 && lineStart < text.length) {
      const lineEnd = text.indexOf('\n', lineStart);
      const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
      lineStart = lineEnd === -1 ? text.length : lineEnd + 1;
      const fields = line.trim().split(/\s+/);
      const [, local, remote, state, queues] = fields;
      if (!local || !remote || !queues || state !== TCP_ESTABLISHED) continue;
      const localPort = portOf(local);
      const remotePort = portOf(remote);
      const rx = Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16);
      if (!Number.isFinite(rx)) continue;
      if (localPorts.has(localPort) && brokerPorts.has(remotePort)) {
        sample.sockets++;
        sample.harnessRx += rx;
      } else if (brokerPorts.has(localPort) && localPorts.has(remotePort)) {
        sample.peerSockets++;
        sample.peerRx += rx;
      }
    }
  }
  return sample;
}

function portOf(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
}

/** The sampler's own cost stays below this share of the event loop: the interval stretches when /proc is slow to read. */
const MAX_SAMPLER_SHARE = 0.02;
const MAX_INTERVAL_MS = 2_000;

/**
 * Samples the queues of a set of client sockets on a timer. Reads are
 * synchronous (an asynchronous read completes late on a busy loop, after
 * short send phases have ended) and cheap (about 1 ms for a few thousand
 * sockets); when they are not, the interval stretches so the sampler never
 * takes more than 2 % of the loop. `stop()` takes a last sample, so even a
 * send phase shorter than one interval has one.
 */
export class SocketQueueSampler {
  private localPorts = new Set<number>();
  private readonly brokerPorts: ReadonlySet<number>;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private available = true;
  private samples = 0;
  private last: QueueSample = { sockets: 0, peerSockets: 0, harnessRx: 0, peerRx: 0 };
  private harnessSum = 0;
  private harnessMax = 0;
  private harnessBacklogged = 0;
  private peerSum = 0;
  private peerMax = 0;
  private peerBacklogged = 0;

  constructor(brokerPorts: Iterable<number>, intervalMs = DEFAULT_INTERVAL_MS) {
    this.brokerPorts = new Set(brokerPorts);
    this.intervalMs = intervalMs;
  }

  setLocalPorts(ports: Iterable<number>): void {
    this.localPorts = new Set(ports);
  }

  start(): void {
    if (this.timer || this.localPorts.size === 0) return;
    this.schedule();
  }

  /** Stops sampling (after one last sample); null when nothing could be sampled (not Linux, or no sockets). */
  stop(): SocketQueueReport | null {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.sampleOnce();
    }
    if (!this.available || this.samples === 0) return null;
    const n = this.samples;
    return {
      samples: n,
      sockets: this.last.sockets,
      peerSockets: this.last.peerSockets,
      harnessRxMeanBytes: Math.round(this.harnessSum / n),
      harnessRxMaxBytes: this.harnessMax,
      harnessRxBackloggedShare: round3(this.harnessBacklogged / n),
      peerRxMeanBytes: Math.round(this.peerSum / n),
      peerRxMaxBytes: this.peerMax,
      peerRxBackloggedShare: round3(this.peerBacklogged / n),
    };
  }

  /** Takes one sample now (also used by tests). */
  sampleOnce(): void {
    if (!this.available || this.localPorts.size === 0) return;
    const startMs = performance.now();
    const texts: string[] = [];
    for (const file of PROC_FILES) {
      try {
        texts.push(readFileSync(file, 'latin1'));
      } catch {
        // no IPv6 table, or not Linux
      }
    }
    if (texts.length === 0) {
      this.available = false;
      return;
    }
    const sample = sampleQueues(texts, this.localPorts, this.brokerPorts);
    const costMs = performance.now() - startMs;
    this.intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(this.intervalMs, costMs / MAX_SAMPLER_SHARE));
    if (sample.sockets === 0) return;
    this.samples++;
    this.last = sample;
    this.harnessSum += sample.harnessRx;
    this.harnessMax = Math.max(this.harnessMax, sample.harnessRx);
    if (sample.harnessRx >= SOCKET_BACKLOG_BYTES) this.harnessBacklogged++;
    this.peerSum += sample.peerRx;
    this.peerMax = Math.max(this.peerMax, sample.peerRx);
    if (sample.peerRx >= SOCKET_BACKLOG_BYTES) this.peerBacklogged++;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sampleOnce();
      if (this.timer) this.schedule();
    }, this.intervalMs);
    this.timer.unref();
  }
}

/** Port of an mqtt://, mqtts://, ws:// or wss:// URL (scheme default when absent). */
export function brokerPortOf(url: string): number | null {
  try {
    const parsed = new URL(url);
    if (parsed.port !== '') return Number(parsed.port);
    const defaults: Record<string, number> = {
      'mqtt:': 1883,
      'tcp:': 1883,
      'mqtts:': 8883,
      'ssl:': 8883,
      'ws:': 80,
      'wss:': 443,
    };
    return defaults[parsed.protocol] ?? null;
  } catch {
    return null;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
