import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

/** An in-process aedes broker on a free loopback port, for the engine's own tests. */
export interface TestBroker {
  url: string;
  broker: Aedes;
  close(): Promise<void>;
}

export async function startAedes(options?: AedesOptions): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options);
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    broker,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
