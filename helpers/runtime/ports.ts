import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago. Brokers are then started on it; a start that
 * loses the race fails with "address in use" and the caller retries with a new port.
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
