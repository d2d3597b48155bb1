import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago. Between that moment and the broker binding it,
 * anything else on the machine may take it (an outgoing connection's ephemeral port, say): start
 * through startOnFreePort, which retries such a lost race on a new port.
 */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a loopback listener'));
      });
    });
  });
}

/** How many ports a start may try before its last "port taken" error stands. */
export const PORT_ATTEMPTS = 3;

/** What Docker and the OS say when a host port was taken: seen as "Bind for 0.0.0.0:41649 failed: port is already allocated". */
const PORT_TAKEN = /port is already allocated|address already in use|EADDRINUSE/i;

/** Whether `error`, or an error it was caused by, says that its port was taken. */
export function isPortTaken(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; depth < 5; depth++) {
    if (typeof e === 'string') return PORT_TAKEN.test(e);
    if (!(e instanceof Error)) return false;
    if (PORT_TAKEN.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * Runs `start` on a free loopback port; when the start fails because the port was taken in the
 * meantime, runs it again on a new port, at most PORT_ATTEMPTS times. Any other failure is thrown
 * at once. `start` must leave nothing behind when it fails (TestbenchContainer removes a container
 * whose start failed).
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  return startOnFreePorts(['port'], ({ port }) => start(port));
}

/**
 * startOnFreePort for a component that binds several ports, one per name (a RabbitMQ node: MQTT,
 * distribution, epmd); a lost race for any of them retries with new ports for all.
 */
export async function startOnFreePorts<K extends string, T>(
  names: readonly K[],
  start: (ports: Record<K, number>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports = {} as Record<K, number>;
    for (const name of names) ports[name] = await freeLoopbackPort();
    try {
      return await start(ports);
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !isPortTaken(error)) throw error;
    }
  }
}

/**
 * A process whose start failed may say why only in its logs (RabbitMQ's eaddrinuse is in a crash
 * report far above the last lines a readiness error shows): this error carries that verdict, so
 * startOnFreePorts retries. Other errors pass through as they are.
 */
export function portTakenPerLogs(error: unknown, logs: string, label: string): unknown {
  if (isPortTaken(error) || !PORT_TAKEN.test(logs)) return error;
  return new Error(`${label}: a port was taken before it could bind it (address already in use)`, { cause: error });
}
