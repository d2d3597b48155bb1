/**
 * CRC-32 (the zlib polynomial, same results as zlib.crc32) over a byte range
 * without allocating a view. For the ~80 header bytes per message this
 * slicing-by-4 table loop (four bytes per step) is cheaper than a native call
 * plus `subarray`; long bodies use zlib.crc32.
 */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T0[n] = c;
}
for (let n = 0; n < 256; n++) {
  const c0 = T0[n] as number;
  const c1 = (T0[c0 & 0xff] as number) ^ (c0 >>> 8);
  const c2 = (T0[c1 & 0xff] as number) ^ (c1 >>> 8);
  T1[n] = c1;
  T2[n] = c2;
  T3[n] = (T0[c2 & 0xff] as number) ^ (c2 >>> 8);
}

export function crc32Range(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let crc = ~initial;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    crc ^=
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    crc =
      (T3[crc & 0xff] as number) ^
      (T2[(crc >>> 8) & 0xff] as number) ^
      (T1[(crc >>> 16) & 0xff] as number) ^
      (T0[crc >>> 24] as number);
  }
  for (; i < end; i++) crc = (T0[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}
