import { describe, expect, test } from 'vitest';
import { isPortTaken, PORT_ATTEMPTS, portTakenPerLogs, startOnFreePort, startOnFreePorts } from './ports.js';
import { ReadinessError } from './readiness-error.js';

/** What Docker answered in run 20261206-224059-0f2317, wrapped as the container start wraps it. */
const dockerTaken = (port: number) =>
  new ReadinessError(
    'rabbitmq mqtt-broker-downstream (container)',
    'container start',
    4842,
    '',
    new Error(`(HTTP code 500) server error - Bind for 0.0.0.0:${port} failed: port is already allocated`),
  );

describe('startOnFreePort', () => {
  test('a start that lost its port is run again on a new one', async () => {
    const ports: number[] = [];
    const result = await startOnFreePort((port) => {
      ports.push(port);
      return ports.length === 1 ? Promise.reject(dockerTaken(port)) : Promise.resolve(`started on ${port}`);
    });
    expect(ports).toHaveLength(2);
    expect(result).toBe(`started on ${ports[1]}`);
  });

  test('any other failure is thrown at once', async () => {
    let calls = 0;
    await expect(
      startOnFreePort(() => {
        calls++;
        return Promise.reject(new Error('image local/x:1 not found'));
      }),
    ).rejects.toThrow('image local/x:1 not found');
    expect(calls).toBe(1);
  });

  test(`after ${PORT_ATTEMPTS} lost races the last error stands`, async () => {
    let calls = 0;
    await expect(
      startOnFreePort((port) => {
        calls++;
        return Promise.reject(dockerTaken(port));
      }),
    ).rejects.toThrow(/port is already allocated/);
    expect(calls).toBe(PORT_ATTEMPTS);
  });

  test('isPortTaken reads the causes, and the OS wording too', () => {
    expect(isPortTaken(dockerTaken(1))).toBe(true);
    expect(isPortTaken(new Error('listen EADDRINUSE: address already in use 127.0.0.1:1883'))).toBe(true);
    expect(isPortTaken(new Error('connection refused'))).toBe(false);
    expect(isPortTaken(undefined)).toBe(false);
  });
});

describe('startOnFreePorts', () => {
  test('one port per name; a race lost on any of them retries with new ports for all', async () => {
    const seen: Record<'mqtt' | 'dist', number>[] = [];
    const result = await startOnFreePorts(['mqtt', 'dist'], (ports) => {
      seen.push(ports);
      return seen.length === 1
        ? Promise.reject(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${ports.dist}`))
        : Promise.resolve(ports);
    });
    expect(seen).toHaveLength(2);
    expect(result).toBe(seen[1]);
    for (const ports of seen) expect(ports.mqtt).not.toBe(ports.dist);
  });
});

describe('portTakenPerLogs', () => {
  const readiness = new ReadinessError(
    'rabbitmq',
    'log line /ready/',
    900,
    'last line',
    new Error('process exited first'),
  );

  test('a failure whose logs say a port was taken becomes a port-taken error, caused by the original', () => {
    const wrapped = portTakenPerLogs(readiness, '{error,{listen_error,eaddrinuse}}\nlast line', 'rabbitmq');
    expect(isPortTaken(wrapped)).toBe(true);
    expect((wrapped as Error).cause).toBe(readiness);
  });

  test('any other failure passes through unchanged', () => {
    expect(portTakenPerLogs(readiness, 'syntax error in rabbitmq.conf', 'rabbitmq')).toBe(readiness);
  });
});
