import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/clients/backoff.js';
import { createLogger, rateLimited } from '../../src/log.js';
import { Stats, toPrometheus } from '../../src/stats.js';

describe('logger', () => {
  it('writes one JSON object per line: time, level, msg, then fields', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
    log.debug('hidden');
    log.info('forwarder ready', { clients: 2 });
    log.error('boom', { error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    expect(lines).toEqual([
      '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"forwarder ready","clients":2}',
      '{"time":"1970-01-01T00:00:00.000Z","level":"error","msg":"boom","error":{"message":"refused","code":"ECONNREFUSED"}}',
    ]);
    expect(log.isEnabled('debug')).toBe(false);
  });

  it('rate-limits per key and reports how many lines were suppressed', () => {
    const lines: string[] = [];
    let now = 0;
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const limited = rateLimited(log, 1000, () => now);
    limited('warn', 'k', 'bad payload');
    limited('warn', 'k', 'bad payload');
    limited('warn', 'other', 'other key');
    now = 999;
    limited('warn', 'k', 'bad payload');
    now = 1000;
    limited('warn', 'k', 'bad payload');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p.msg, p.suppressed])).toEqual([
      ['bad payload', undefined],
      ['other key', undefined],
      ['bad payload', 2],
    ]);
  });
});

describe('stats', () => {
  it('renders counters and gauges in Prometheus text format', () => {
    const stats = new Stats();
    stats.trackClient('up');
    stats.received = 5;
    stats.forwarded = 3;
    stats.drop('callback_error');
    stats.reconnected('up');
    const text = toPrometheus(stats.snapshot({ inflight_source: 1, inflight_target: 2, queued: 3 }));
    expect(text).toContain('# TYPE mqtt_forwarder_received_total counter\nmqtt_forwarder_received_total 5\n');
    expect(text).toContain('mqtt_forwarder_dropped_total{reason="callback_error"} 1\n');
    expect(text).toContain('mqtt_forwarder_dropped_total{reason="queue_full"} 0\n');
    expect(text).toContain('mqtt_forwarder_reconnects_total{client="up"} 1\n');
    expect(text).toContain('mqtt_forwarder_queued 3\n');
  });
});

describe('reconnect backoff', () => {
  it('starts at the minimum, doubles up to the cap, and resets', () => {
    const backoff = new Backoff(100, 1000);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
