import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MOSQUITTO_BINARY, MOSQUITTO_MISSING } from '../../load/testing/local-mosquitto.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { startMosquittoProcess } from './mosquitto-process.js';

/**
 * Two starts of up to STARTUP_MS each and a stop: on a CI machine busy with the behaviour suites
 * the test once ran past vitest's 5 s default, and under load here once took 5.0 s, the stop's
 * grace period before SIGKILL (a SIGTERM right after the ready line went unanswered).
 */
const STARTUP_MS = 10_000;
const TEST_MS = 2 * STARTUP_MS + 5_000;

describe.skipIf(MOSQUITTO_MISSING)('startMosquittoProcess', { timeout: TEST_MS }, () => {
  let holder: Server;
  let held: number;
  beforeAll(async () => {
    held = await freeLoopbackPort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(held, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  // The port a broker was given can be taken before it binds it; mosquitto then says so only in
  // its log ("Address already in use"), and the start must go on with a new port.
  test('a port taken before mosquitto binds it is retried on a new port', async () => {
    const given: number[] = [];
    const started = await startMosquittoProcess({
      label: 'port-race',
      binary: MOSQUITTO_BINARY,
      startupTimeoutMs: STARTUP_MS,
      config: (port) => {
        given.push(port);
        return [`listener ${given.length === 1 ? held : port} 127.0.0.1`, 'allow_anonymous true', 'persistence false'];
      },
    });
    try {
      expect(given).toHaveLength(2);
      expect(started.port).toBe(given[1]);
      expect(started.url).toBe(`mqtt://127.0.0.1:${given[1]}`);
    } finally {
      await started.process.terminate();
      started.removeFiles();
    }
  });

  test('any other failure ends the start at once, with the log lines', async () => {
    let calls = 0;
    await expect(
      startMosquittoProcess({
        label: 'bad-config',
        binary: MOSQUITTO_BINARY,
        startupTimeoutMs: STARTUP_MS,
        config: (port) => {
          calls++;
          return [`listener ${port} 127.0.0.1`, 'no_such_option true'];
        },
      }),
    ).rejects.toThrow(/no_such_option/);
    expect(calls).toBe(1);
  });
});
