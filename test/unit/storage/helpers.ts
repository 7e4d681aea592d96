// Builds minimal valid magic-2 record batches (uncompressed, no keys or headers) for storage tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '../../../src/records/crc32c.ts';
import type { BatchInfo } from '../../../src/storage/partition-log.ts';

function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return out;
}

/** One batch of `count` records with `valueSize`-byte values, all stamped `timestamp`. */
export function makeBatch(count: number, timestamp: number, valueSize = 10): Buffer {
  const records: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = [0, ...varint(0), ...varint(i), ...varint(-1), ...varint(valueSize)];
    for (let j = 0; j < valueSize; j++) body.push((i + j) & 0xff);
    body.push(...varint(0));
    records.push(...varint(body.length), ...body);
  }
  const buf = Buffer.alloc(61 + records.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(count - 1, 23);
  buf.writeBigInt64BE(BigInt(timestamp), 27);
  buf.writeBigInt64BE(BigInt(timestamp), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  Buffer.from(records).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

/** Concatenates batches into one append buffer with their BatchInfo. */
export function makeAppend(specs: Array<{ count: number; timestamp: number; valueSize?: number }>): {
  buf: Buffer;
  batches: BatchInfo[];
} {
  const parts = specs.map((s) => makeBatch(s.count, s.timestamp, s.valueSize));
  const batches: BatchInfo[] = [];
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    batches.push({
      position: pos,
      size: parts[i]!.length,
      lastOffsetDelta: specs[i]!.count - 1,
      recordCount: specs[i]!.count,
      maxTimestamp: specs[i]!.timestamp,
    });
    pos += parts[i]!.length;
  }
  return { buf: Buffer.concat(parts), batches };
}

export interface ParsedBatch {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
  leaderEpoch: number;
  crcOk: boolean;
}

/** Parses whole batches in `buf` (a trailing partial batch is ignored). */
export function parseBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = [];
  let pos = 0;
  while (pos + 61 <= buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12;
    if (pos + size > buf.length) break;
    const baseOffset = Number(buf.readBigInt64BE(pos));
    out.push({
      baseOffset,
      lastOffset: baseOffset + buf.readInt32BE(pos + 23),
      size,
      maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
      leaderEpoch: buf.readInt32BE(pos + 12),
      crcOk: buf.readUInt32BE(pos + 17) === crc32c(buf.subarray(pos + 21, pos + size)),
    });
    pos += size;
  }
  return out;
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-storage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
