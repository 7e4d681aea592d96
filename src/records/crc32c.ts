// CRC32C (Castagnoli), the checksum of record batches (magic 2). Native via @node-rs/crc32 when it loads,
// else a slicing-by-8 table implementation (about 1 GB/s).
import { createRequire } from 'node:module';

type Crc32cFn = (input: Uint8Array, initialState?: number) => number;

function loadNative(): Crc32cFn | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@node-rs/crc32') as { crc32c: Crc32cFn };
    return mod.crc32c;
  } catch {
    return undefined;
  }
}

const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let t = 1; t < 8; t++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[t * 256 + n] = c;
  }
}

/** Pure-JS CRC32C; exported for tests that compare it with the native one. */
export function crc32cJs(buf: Uint8Array, crc = 0): number {
  const T = TABLE;
  crc = ~crc;
  let i = 0;
  const end = buf.length;
  const n8 = end - (end & 7);
  while (i < n8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + buf[i + 4]!]! ^
      T[512 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = T[(crc ^ buf[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = loadNative();

/** CRC32C of `buf` (unsigned 32-bit). `initial` continues a previous checksum. */
export const crc32c: (buf: Uint8Array, initial?: number) => number = native
  ? (buf, initial = 0) => native(buf, initial) >>> 0
  : crc32cJs;
