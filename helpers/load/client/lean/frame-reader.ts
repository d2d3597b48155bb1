/**
 * Splits a TCP byte stream into MQTT packets. A chunk is handed over as it
 * was read; packets that lie wholly inside it are passed on as offsets into
 * it (no copy), and only a packet cut by the end of a chunk is copied and
 * completed from the next one. The handler must be done with the bytes when
 * it returns: the chunk buffer is reused for the next read.
 */
export type PacketHandler = (firstByte: number, data: Buffer, bodyStart: number, bodyLength: number) => void;

export class FrameError extends Error {
  override name = 'FrameError';
}

export class FrameReader {
  private pending: Buffer | null = null;

  constructor(
    private readonly onPacket: PacketHandler,
    /** Largest packet accepted; a longer one is a protocol error, not a reason to buffer without bound. */
    private readonly maxPacketBytes: number,
  ) {}

  /** Bytes of an incomplete packet carried over to the next chunk. */
  get pendingBytes(): number {
    return this.pending?.length ?? 0;
  }

  push(chunk: Buffer, length: number = chunk.length): void {
    let data = chunk;
    let end = length;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk.subarray(0, length)]);
      end = data.length;
      this.pending = null;
    }
    let offset = 0;
    while (end - offset >= 2) {
      let bodyLength = 0;
      let multiplier = 1;
      let at = offset + 1;
      let complete = false;
      for (let k = 0; k < 4 && at < end; k++) {
        const digit = data[at++] as number;
        bodyLength += (digit & 0x7f) * multiplier;
        multiplier *= 128;
        if ((digit & 0x80) === 0) {
          complete = true;
          break;
        }
        if (k === 3) throw new FrameError('malformed Remaining Length (more than 4 bytes)');
      }
      if (!complete) break;
      if (bodyLength + (at - offset) > this.maxPacketBytes) {
        throw new FrameError(`packet of ${bodyLength} bytes is larger than the ${this.maxPacketBytes} bytes accepted`);
      }
      if (at + bodyLength > end) break;
      this.onPacket(data[offset] as number, data, at, bodyLength);
      offset = at + bodyLength;
    }
    if (offset < end) this.pending = Buffer.from(data.subarray(offset, end));
  }
}
