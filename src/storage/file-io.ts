// Low-level synchronous file helpers and batch-header parsing for segment files.
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import {
  BATCH_LENGTH,
  HEADER_SIZE,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  RECORDS_COUNT,
} from '../records/batch-layout.ts';

/** Reads exactly `length` bytes at `position` unless the file ends first; returns the bytes read. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Test hook: a function set here runs before every log/index/checkpoint write or fsync and may throw (an errno
 * error such as EIO or ENOSPC) to simulate a failing disk. Never set in production.
 */
export const ioFaults: { before?: (op: 'write' | 'fsync', fd: number) => void } = {};

export function writeFully(fd: number, buf: Buffer, position: number): void {
  ioFaults.before?.('write', fd);
  let done = 0;
  while (done < buf.length) {
    done += writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

export function fsyncFd(fd: number): void {
  ioFaults.before?.('fsync', fd);
  fsyncSync(fd);
}

/** fsyncs a directory, making the creation, rename or removal of its entries durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs fsyncs of paths (files or directories) on libuv's thread pool, at most `limit` at a time, so a shutdown
 * flushing thousands of logs keeps the disk busy with parallel requests (the file system batches their journal
 * commits) instead of waiting for each in turn.
 */
export class FsyncLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(limit = 32) {
    this.limit = limit;
  }

  /** fsyncs `path`; with `optional`, a file that does not exist (an index never written) is skipped. */
  async fsync(path: string, optional = false): Promise<void> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(path, 'r');
      } catch (err) {
        if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      try {
        ioFaults.before?.('fsync', fh.fd);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** An errno-style error, as node:fs raises them (for fault injection in tests). */
export function errnoError(code: string, message = code): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(value - hi * 4294967296, at + 4);
}

/** The fields of a batch header the log needs. `size` includes the 12-byte log overhead. */
export interface BatchHeader {
  baseOffset: number;
  lastOffset: number;
  size: number;
  magic: number;
  maxTimestamp: number;
  recordCount: number;
}

/** Parses a header at `at`; the caller guarantees HEADER_SIZE bytes are present. */
export function parseHeader(buf: Buffer, at: number): BatchHeader {
  const baseOffset = readInt64(buf, at);
  return {
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA),
    size: buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD,
    magic: buf.readInt8(at + MAGIC),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    recordCount: buf.readInt32BE(at + RECORDS_COUNT),
  };
}

/** Smallest legal batch: a header with no records. */
export const MIN_BATCH_SIZE = HEADER_SIZE;

/**
 * A sliding read window over a file, so scanning many small batches costs one read per window rather than one
 * per batch.
 */
export class FileWindow {
  buf: Buffer;
  private start = 0;
  private end = 0;
  readonly fd: number;
  readonly fileSize: number;

  constructor(fd: number, fileSize: number, chunk = 256 * 1024) {
    this.fd = fd;
    this.fileSize = fileSize;
    // No bigger than the file: recovering 15,000 small segments must not allocate 15,000 full-size windows.
    this.buf = Buffer.allocUnsafe(Math.max(HEADER_SIZE, Math.min(chunk, fileSize)));
  }

  /**
   * Makes `length` bytes at file position `pos` available and returns their offset in `this.buf`, or -1 when the
   * file ends before `pos + length`.
   */
  view(pos: number, length: number): number {
    if (pos + length > this.fileSize) return -1;
    if (pos >= this.start && pos + length <= this.end) return pos - this.start;
    if (length > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(length, this.buf.length * 2));
    const want = Math.min(this.buf.length, this.fileSize - pos);
    const n = readFully(this.fd, this.buf, 0, want, pos);
    this.start = pos;
    this.end = pos + n;
    return pos + length <= this.end ? 0 : -1;
  }

  /** Header of the batch at `pos`, or undefined if fewer than HEADER_SIZE bytes remain. */
  header(pos: number): BatchHeader | undefined {
    const at = this.view(pos, HEADER_SIZE);
    return at < 0 ? undefined : parseHeader(this.buf, at);
  }
}
