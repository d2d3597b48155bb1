import type { Socket } from 'node:net';

const SCRATCH_BYTES = 64 * 1024;

/**
 * Memory for outgoing packets, reused from write to write. A plain TCP socket keeps no reference
 * to a Buffer it wrote at once (libuv writes synchronously when the kernel takes everything), and
 * nearly every write of a load client is such a write: then the same bytes serve the next packet.
 * When a write did not complete at once the socket holds the bytes until it does, and the scratch
 * moves on to fresh memory. Without this every message left a packet-sized Buffer for the garbage
 * collector: at 60,000 msg/s that was 60 MB/s of short-lived memory and most of the harness's RSS.
 * One per thread: packets are written before the next one is built.
 */
export class WriteScratch {
  private buffer = Buffer.allocUnsafe(SCRATCH_BYTES);

  /** `size` bytes to build a packet in (fresh memory when larger than the scratch). */
  view(size: number): Buffer {
    return size <= this.buffer.length ? this.buffer.subarray(0, size) : Buffer.allocUnsafe(size);
  }

  /** Writes a packet built in `view()` and keeps the scratch only if the socket let go of it. */
  write(socket: Socket, packet: Buffer): void {
    socket.write(packet);
    if (socket.writableLength > 0 && packet.buffer === this.buffer.buffer)
      this.buffer = Buffer.allocUnsafe(SCRATCH_BYTES);
  }
}
