import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { requireOnThisMachine } from '../vitest/skip.js';
import { brokerPortOf, sampleQueues, SocketQueueSampler } from './socket-queues.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

function line(local: number, remote: number, rx: number, state = '01'): string {
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `   0: 0100007F:${hex(local, 4)} 0100007F:${hex(remote, 4)} ${state} 00000000:${hex(rx, 8)} 00:00000000 00000000     0        0 1 1 0 20 4 30 10 -1\n`;
}

describe('sampleQueues', () => {
  it('sums unread bytes on the harness side and on the broker side of the same connections', () => {
    const text =
      HEADER +
      line(50_001, 1883, 1_000) +
      line(1883, 50_001, 70_000) +
      line(50_002, 1883, 24) +
      line(50_003, 1883, 999, '0A') +
      line(40_000, 9999, 5_000);
    expect(sampleQueues([text], new Set([50_001, 50_002, 50_003]), new Set([1883]))).toEqual({
      sockets: 2,
      peerSockets: 1,
      harnessRx: 1_024,
      peerRx: 70_000,
    });
  });

  it('reads the port of a URL, with scheme defaults', () => {
    expect(brokerPortOf('mqtt://127.0.0.1:4321')).toBe(4321);
    expect(brokerPortOf('mqtts://broker')).toBe(8883);
    expect(brokerPortOf('mqtt://user:pw@host')).toBe(1883);
    expect(brokerPortOf('not a url')).toBeNull();
  });
});

describe('SocketQueueSampler on this machine', () => {
  requireOnThisMachine(
    existsSync('/proc/net/tcp') ? undefined : 'no /proc/net/tcp: socket queues are read on Linux only',
  );
  it('sees bytes a peer has not read yet', async () => {
    let serverSide: Socket | undefined;
    const server = createServer((socket) => {
      serverSide = socket;
      socket.pause(); // the "broker" does not read
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    try {
      client.write(Buffer.alloc(100_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const sampler = new SocketQueueSampler([port], 10_000);
      sampler.setLocalPorts([client.localPort ?? 0]);
      sampler.start();
      const report = sampler.stop();
      expect(report).toMatchObject({ samples: 1, sockets: 1, peerSockets: 1, harnessRxMeanBytes: 0 });
      // Node reads a little ahead before pause() takes effect; the rest waits in the kernel.
      expect(report?.peerRxMeanBytes).toBeGreaterThanOrEqual(10_000);
    } finally {
      client.destroy();
      serverSide?.destroy();
      server.close();
    }
  });
});
