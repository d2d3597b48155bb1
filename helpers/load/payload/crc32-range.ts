/**
 * CRC-32 (the zlib polynomial, same results as zlib.crc32) over a byte range
 * without allocating a view. For the ~60 header bytes per message this
 * table loop is cheaper than a native call plus `subarray`; long bodies use
 * zlib.crc32.
 */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

export function crc32Range(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let crc = ~initial;
  for (let i = start; i < end; i++) crc = (TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return ~crc >>> 0;
}
