import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { addSkipReasons } from './junit-skips.js';
import { createProgress, formatProgress, PROGRESS_SOCKET_ENV } from '../load/progress.js';
import { ProgressHub } from './progress-hub.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('progress lines', () => {
  test('say sent, received, rate, elapsed and time left', () => {
    expect(
      formatProgress(
        { label: 'heavy QoS 1', sent: 4210, received: 4198, elapsedMs: 4200, totalExpected: 10_000 },
        1012,
      ),
    ).toBe('heavy QoS 1: sent 4,210/10,000 · received 4,198 · 1,012 msg/s · 4.2 s elapsed · ~5.7 s left · 41 %');
    expect(
      formatProgress({ label: 'soak', sent: 10, received: 10, elapsedMs: 60_000, plannedDurationMs: 300_000 }, 1),
    ).toContain('~4 min 00 s left');
  });

  test('a stalled run says so instead of an absurd estimate', () => {
    const stalled = { label: 'bench', sent: 21_000, received: 20_980, elapsedMs: 30_000, totalExpected: 1_000_000 };
    expect(formatProgress({ ...stalled, idleMs: 6_000 }, 0.000_01)).toBe(
      'bench: sent 21,000/1,000,000 · received 20,980 · 0.0 msg/s · 30.0 s elapsed · no progress for 6.0 s · 2 %',
    );
    // A crawling rate whose estimate is beyond any use gives none.
    expect(formatProgress({ ...stalled, idleMs: 0 }, 0.001)).not.toContain('left');
    expect(formatProgress({ ...stalled, idleMs: 0 }, 1_000)).toContain('~16 min 19 s left');
  });

  test('on a terminal: one line redrawn in place, cleared when done', () => {
    const stream = new Capture(true);
    const progress = createProgress({ env: { MQTT_TESTBENCH_PROGRESS: 'auto' }, stream });
    progress.update({ label: 'x', sent: 1, received: 1, elapsedMs: 100 });
    progress.done();
    const CLEAR = '\r\x1b[2K';
    expect(stream.text.startsWith(CLEAR)).toBe(true);
    expect(stream.text.endsWith(CLEAR)).toBe(true);
    expect(stream.text.slice(CLEAR.length, -CLEAR.length)).toMatch(
      /^x: sent 1 · received 1 · [\d.]+ msg\/s · 100 ms elapsed$/,
    );
  });

  test('not on a terminal: a plain line per interval, and a final line only when a line was printed', async () => {
    const stream = new Capture(false);
    const progress = createProgress({ env: { MQTT_TESTBENCH_PROGRESS_INTERVAL_MS: '100' }, stream });
    progress.update({ label: 'x', sent: 1, received: 1, elapsedMs: 50 });
    expect(stream.text).toBe('');
    await sleep(110);
    progress.update({ label: 'x', sent: 5, received: 5, elapsedMs: 160 });
    progress.done();
    expect(stream.text.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^\[progress\] x: sent 5 · received 5/),
      expect.stringMatching(/^\[progress\] done: x: sent 5 · received 5 · [\d.]+ msg\/s · 160 ms elapsed$/),
    ]);

    const quiet = new Capture(false);
    const short = createProgress({ env: {}, stream: quiet });
    short.update({ label: 'y', sent: 1, received: 1, elapsedMs: 10 });
    short.done();
    expect(quiet.text).toBe('');
  });

  test('MQTT_TESTBENCH_PROGRESS=off is silent', () => {
    const stream = new Capture(true);
    const progress = createProgress({ env: { MQTT_TESTBENCH_PROGRESS: 'off' }, stream });
    progress.update({ label: 'x', sent: 1, received: 1, elapsedMs: 100_000 });
    progress.done();
    expect(stream.text).toBe('');
  });
});

describe('progress from test workers to the reporter', () => {
  test('travels over the local socket; the hub shows it in the live window and as plain lines', async () => {
    const lines: string[] = [];
    const socket = join(tmpdir(), `mtb-progress-test-${process.pid}.sock`);
    const hub = new ProgressHub('window', 50, (line) => lines.push(line), socket);
    await hub.start();
    try {
      const progress = createProgress({ env: { [PROGRESS_SOCKET_ENV]: socket } });
      progress.update({ label: 'medium QoS 1', sent: 100, received: 90, elapsedMs: 1000, totalExpected: 2000 });
      await waitFor(() => hub.windowLines().length === 1);
      expect(hub.windowLines()[0]).toBe(
        '  ⏱ medium QoS 1: sent 100/2,000 · received 90 · 90 msg/s · 1.0 s elapsed · ~21.2 s left · 4 %',
      );

      hub.setMode('plain');
      hub.tick(Date.now() + 60);
      expect(lines).toEqual([expect.stringMatching(/^\[progress\] medium QoS 1: sent 100\/2,000/)]);
      hub.tick(Date.now() + 120);
      expect(lines).toHaveLength(1); // nothing new, no repeated line

      progress.done();
      await waitFor(() => hub.windowLines().length === 0);
      expect(lines.at(-1)).toMatch(/^\[progress\] done: medium QoS 1/);
    } finally {
      await hub.stop();
      rmSync(socket, { force: true });
    }
  });

  test('a reporter that is gone never breaks the measurement', async () => {
    const progress = createProgress({ env: { [PROGRESS_SOCKET_ENV]: join(tmpdir(), 'mtb-no-such-socket.sock') } });
    progress.update({ label: 'x', sent: 1, received: 1, elapsedMs: 1 });
    await sleep(50);
    progress.update({ label: 'x', sent: 2, received: 2, elapsedMs: 600 });
    progress.done();
  });
});

describe('JUnit skip reasons', () => {
  test('are added to the <skipped/> of the matching test case', () => {
    const xml = [
      '<testsuite name="suites/a.test.ts">',
      '<testcase classname="a" file="suites/a.test.ts" name="emqx (container) &gt; delivers" time="0">',
      '            <skipped/>',
      '</testcase>',
      '<testcase classname="a" file="suites/a.test.ts" name="mosquitto &gt; delivers" time="0">',
      '</testcase>',
      '</testsuite>',
    ].join('\n');
    const { xml: out, added } = addSkipReasons(xml, [
      {
        file: 'suites/a.test.ts',
        fullName: 'emqx (container) > delivers',
        reason: 'emqx skipped: image "emqx/emqx" <missing>',
      },
    ]);
    expect(added).toBe(1);
    expect(out).toContain('<skipped message="emqx skipped: image &quot;emqx/emqx&quot; &lt;missing&gt;"/>');
    expect(out).toContain('name="mosquitto &gt; delivers" time="0">\n</testcase>');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(10);
  }
}
