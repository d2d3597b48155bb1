import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MOSQUITTO_BINARY, MOSQUITTO_MISSING } from '../../load/testing/local-mosquitto.js';
import { freeLoopbackPort } from '../../runtime/ports.js';
import { startMosquittoProcess } from './mosquitto-process.js';

describe.skipIf(MOSQUITTO_MISSING)('startMosquittoProcess', () => {
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
      startupTimeoutMs: 10_000,
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
        startupTimeoutMs: 10_000,
        config: (port) => {
          calls++;
          return [`listener ${port} 127.0.0.1`, 'no_such_option true'];
        },
      }),
    ).rejects.toThrow(/no_such_option/);
    expect(calls).toBe(1);
  });
});
