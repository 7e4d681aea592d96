// Compression codecs of Kafka record batches: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
//
// snappy: Kafka's Java clients write xerial-framed snappy; librdkafka and others may write raw snappy. Decoding
// accepts both, encoding writes xerial framing. lz4: Kafka writes an LZ4 frame with independent 64 KiB blocks and no
// checksums; decoding accepts any LZ4 frame (linked blocks, checksums, content size, concatenated/skippable frames)
// and ignores the header checksum byte, which old magic 0/1 Kafka clients computed wrongly (KAFKA-3160).
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { corrupt, RecordsError, RecordsErrorCode } from './errors.ts';
import { xxh32 } from './xxh32.ts';

export const Codec = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

interface SnappyBinding {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer;
  compress(input: Uint8Array): Promise<Buffer>;
  uncompress(input: Uint8Array, options: { asBuffer: true }): Promise<Buffer>;
}

interface Lz4Binding {
  /** Block compression; output is prefixed with the uncompressed size (u32 LE). */
  compressSync(data: Buffer): Buffer;
  compress(data: Uint8Array): Promise<Buffer>;
  /** Block decompression of size-prefixed input; the prefix is an upper bound, the output is the real size. */
  uncompressSync(data: Uint8Array, dict?: Uint8Array | null): Buffer;
}

const require = createRequire(import.meta.url);
let snappyMod: SnappyBinding | undefined;
let lz4Mod: Lz4Binding | undefined;

function snappy(): SnappyBinding {
  snappyMod ??= require('snappy') as SnappyBinding;
  return snappyMod;
}

function lz4(): Lz4Binding {
  lz4Mod ??= require('lz4-napi') as Lz4Binding;
  return lz4Mod;
}

/** Name of a codec id ('none', 'gzip', ...); throws UNSUPPORTED_COMPRESSION_TYPE for unknown ids. */
export function codecName(codec: number): string {
  checkCodec(codec);
  return CODEC_NAMES[codec]!;
}

function checkCodec(codec: number): asserts codec is CodecId {
  if (!Number.isInteger(codec) || codec < 0 || codec > 4) {
    throw new RecordsError(RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Unsupported compression codec ${codec}`);
  }
}

function wrapDecodeError(codec: number, e: unknown): never {
  if (e instanceof RecordsError) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  throw corrupt(`Failed to decompress ${CODEC_NAMES[codec] ?? codec} data: ${msg}`);
}

// ---- snappy (xerial framing) ----

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_SIZE = 32 * 1024;

function xerialHeader(): Buffer {
  const h = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(1, 8);
  h.writeInt32BE(1, 12);
  return h;
}

function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_SIZE && buf.subarray(0, 8).equals(XERIAL_MAGIC);
}

function snappyEncodeSync(buf: Buffer): Buffer {
  const s = snappy();
  const parts: Buffer[] = [xerialHeader()];
  for (let i = 0; i < buf.length; i += XERIAL_BLOCK_SIZE) {
    const block = s.compressSync(buf.subarray(i, i + XERIAL_BLOCK_SIZE));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Splits xerial framing into its raw snappy blocks. */
function xerialBlocks(buf: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw corrupt('Truncated xerial snappy block length');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > buf.length) throw corrupt('Truncated xerial snappy block');
    blocks.push(buf.subarray(pos, pos + len));
    pos += len;
  }
  return blocks;
}

function snappyDecodeSync(buf: Buffer): Buffer {
  const s = snappy();
  if (!isXerial(buf)) return s.uncompressSync(buf, { asBuffer: true });
  const out = xerialBlocks(buf).map((b) => s.uncompressSync(b, { asBuffer: true }));
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

// ---- lz4 frames ----

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_SIZE = 64 * 1024;
const KAFKA_FLG = 0x60; // version 01, independent blocks, no checksums, no content size
const KAFKA_BD = 0x40; // 64 KiB max block size
const UNCOMPRESSED_BIT = 0x80000000;

function lz4FrameHeader(): Buffer {
  const h = Buffer.alloc(7);
  h.writeUInt32LE(LZ4_MAGIC, 0);
  h[4] = KAFKA_FLG;
  h[5] = KAFKA_BD;
  h[6] = (xxh32(h, 0, 4, 6) >>> 8) & 0xff;
  return h;
}

function lz4Block(input: Buffer, compressed: Buffer): Buffer[] {
  // `compressed` carries the uncompressed size as a 4-byte prefix.
  const size = Buffer.alloc(4);
  const raw = compressed.subarray(4);
  if (raw.length >= input.length) {
    size.writeUInt32LE((input.length | UNCOMPRESSED_BIT) >>> 0, 0);
    return [size, input];
  }
  size.writeUInt32LE(raw.length, 0);
  return [size, raw];
}

function lz4EncodeSync(buf: Buffer): Buffer {
  const l = lz4();
  const parts: Buffer[] = [lz4FrameHeader()];
  for (let i = 0; i < buf.length; i += LZ4_BLOCK_SIZE) {
    const input = buf.subarray(i, i + LZ4_BLOCK_SIZE);
    parts.push(...lz4Block(input, l.compressSync(input)));
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

async function lz4EncodeAsync(buf: Buffer): Promise<Buffer> {
  const l = lz4();
  const inputs: Buffer[] = [];
  for (let i = 0; i < buf.length; i += LZ4_BLOCK_SIZE) inputs.push(buf.subarray(i, i + LZ4_BLOCK_SIZE));
  const compressed = await Promise.all(inputs.map((b) => l.compress(b)));
  const parts: Buffer[] = [lz4FrameHeader()];
  for (let i = 0; i < inputs.length; i++) parts.push(...lz4Block(inputs[i]!, compressed[i]!));
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function lz4DecodeSync(buf: Buffer): Buffer {
  const l = lz4();
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw corrupt('Truncated LZ4 frame magic');
    const magic = buf.readUInt32LE(pos);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      // skippable frame
      if (pos + 8 > buf.length) throw corrupt('Truncated LZ4 skippable frame');
      const len = buf.readUInt32LE(pos + 4);
      pos += 8 + len;
      if (pos > buf.length) throw corrupt('Truncated LZ4 skippable frame');
      continue;
    }
    if (magic !== LZ4_MAGIC) throw corrupt(`Bad LZ4 frame magic 0x${magic.toString(16)}`);
    pos += 4;
    if (pos + 3 > buf.length) throw corrupt('Truncated LZ4 frame descriptor');
    const flg = buf[pos]!;
    const bd = buf[pos + 1]!;
    if (flg >> 6 !== 1) throw corrupt(`Unsupported LZ4 frame version ${flg >> 6}`);
    const independent = (flg & 0x20) !== 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    const maxBlock = BLOCK_MAX_SIZES[(bd >> 4) & 7]!;
    if (maxBlock === 0) throw corrupt(`Bad LZ4 block max size in descriptor 0x${bd.toString(16)}`);
    // Header checksum byte is deliberately not verified (KAFKA-3160).
    pos += 2 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
    if (pos > buf.length) throw corrupt('Truncated LZ4 frame descriptor');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(maxBlock, 0);
    let window: Buffer | null = null; // last 64 KiB of output for linked blocks
    for (;;) {
      if (pos + 4 > buf.length) throw corrupt('Truncated LZ4 block size');
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = (word & 0x7fffffff) >>> 0;
      if (pos + size > buf.length) throw corrupt('Truncated LZ4 block');
      const data = buf.subarray(pos, pos + size);
      pos += size + (blockChecksum ? 4 : 0);
      let block: Buffer;
      if (word & UNCOMPRESSED_BIT) block = data;
      else {
        try {
          block = l.uncompressSync(Buffer.concat([prefix, data]), independent ? null : window);
        } catch (e) {
          wrapDecodeError(Codec.LZ4, e);
        }
      }
      out.push(block);
      if (!independent) {
        window = window ? Buffer.concat([window, block]) : block;
        if (window.length > 64 * 1024) window = window.subarray(window.length - 64 * 1024);
      }
    }
    if (contentChecksum) pos += 4;
    if (pos > buf.length) throw corrupt('Truncated LZ4 content checksum');
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

// ---- public API ----

const zstdCompressAsync = promisify(zlib.zstdCompress);
const zstdDecompressAsync = promisify(zlib.zstdDecompress);
const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/** Compresses `buf` with `codec` (0 returns `buf` itself). */
export function compress(codec: number, buf: Buffer): Buffer {
  checkCodec(codec);
  switch (codec) {
    case Codec.NONE:
      return buf;
    case Codec.GZIP:
      return zlib.gzipSync(buf);
    case Codec.SNAPPY:
      return snappyEncodeSync(buf);
    case Codec.LZ4:
      return lz4EncodeSync(buf);
    case Codec.ZSTD:
      return zlib.zstdCompressSync(buf);
  }
}

/** Decompresses `buf`; malformed input throws RecordsError CORRUPT_MESSAGE. */
export function decompress(codec: number, buf: Buffer): Buffer {
  checkCodec(codec);
  try {
    switch (codec) {
      case Codec.NONE:
        return buf;
      case Codec.GZIP:
        return zlib.gunzipSync(buf);
      case Codec.SNAPPY:
        return snappyDecodeSync(buf);
      case Codec.LZ4:
        return lz4DecodeSync(buf);
      case Codec.ZSTD:
        return zlib.zstdDecompressSync(buf);
    }
  } catch (e) {
    wrapDecodeError(codec, e);
  }
}

/** Like `compress`, off the main thread where the codec allows it. */
export async function compressAsync(codec: number, buf: Buffer): Promise<Buffer> {
  checkCodec(codec);
  switch (codec) {
    case Codec.NONE:
      return buf;
    case Codec.GZIP:
      return gzipAsync(buf);
    case Codec.SNAPPY: {
      const s = snappy();
      const blocks: Promise<Buffer>[] = [];
      for (let i = 0; i < buf.length; i += XERIAL_BLOCK_SIZE)
        blocks.push(s.compress(buf.subarray(i, i + XERIAL_BLOCK_SIZE)));
      const parts: Buffer[] = [xerialHeader()];
      for (const block of await Promise.all(blocks)) {
        const len = Buffer.alloc(4);
        len.writeInt32BE(block.length, 0);
        parts.push(len, block);
      }
      return Buffer.concat(parts);
    }
    case Codec.LZ4:
      return lz4EncodeAsync(buf);
    case Codec.ZSTD:
      return zstdCompressAsync(buf);
  }
}

/** Like `decompress`, off the main thread where the codec allows it. */
export async function decompressAsync(codec: number, buf: Buffer): Promise<Buffer> {
  checkCodec(codec);
  try {
    switch (codec) {
      case Codec.GZIP:
        return await gunzipAsync(buf);
      case Codec.ZSTD:
        return await zstdDecompressAsync(buf);
      case Codec.SNAPPY: {
        const s = snappy();
        if (!isXerial(buf)) return await s.uncompress(buf, { asBuffer: true });
        const out = await Promise.all(xerialBlocks(buf).map((b) => s.uncompress(b, { asBuffer: true })));
        return Buffer.concat(out);
      }
      default:
        return decompress(codec, buf);
    }
  } catch (e) {
    wrapDecodeError(codec, e);
  }
}
