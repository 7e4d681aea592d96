// Splits a connection's byte stream into size-prefixed request frames while choosing where the kernel writes them.
// Small frames are read into one reused scratch buffer and copied out; a frame too large for the scratch gets its
// own buffer of exactly its size and every further read goes straight into it, so a 1 MB produce request is read
// with no intermediate chunks and no concatenation. The broker's connections (server/connection.ts) and the
// client's (client/connection.ts) feed it from net.Socket's `onread`.

import { assert } from '../util/assert.ts';

export interface FrameReaderOptions {
  /** Frames larger than this (or negative sizes) are refused: `onBadSize` is called and reading stops. */
  maxFrameBytes: number;
  /** Size of the reused read buffer for small frames (default 64 KiB). */
  scratchBytes?: number;
  onFrame(frame: Buffer): void;
  onBadSize(size: number): void;
  /**
   * Memory for a frame too large for the scratch buffer (default: a new Buffer). `apiKey` is the request's API key
   * when its first bytes have already arrived.
   */
  allocFrame?(size: number, apiKey: number | undefined): Buffer;
}

/** Space worth reading into: below this the partial frame left in the scratch is moved to its start first. */
const MIN_READ = 4096;

export class FrameReader {
  private readonly opts: FrameReaderOptions;
  private readonly scratch: Buffer;
  /** Unparsed bytes are scratch[start, end). */
  private start = 0;
  private end = 0;
  /** A large frame being read directly into its own buffer, filled up to `bigPos`. */
  private big: Buffer | undefined;
  private bigPos = 0;
  private failed = false;

  constructor(opts: FrameReaderOptions) {
    this.opts = opts;
    this.scratch = Buffer.allocUnsafeSlow(opts.scratchBytes ?? 64 * 1024);
    assert(this.scratch.length >= 2 * MIN_READ, 'frame reader scratch too small');
  }

  /** The memory the next read should fill (never empty). Valid until `wrote` is called. */
  next(): Buffer {
    if (this.big) return this.big.subarray(this.bigPos);
    if (this.scratch.length - this.end < MIN_READ && this.start > 0) {
      this.scratch.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return this.scratch.subarray(this.end);
  }

  /** `n` bytes were written at the start of the buffer `next()` returned. */
  wrote(n: number): void {
    if (this.failed || n <= 0) return;
    if (this.big) {
      this.bigPos += n;
      assert(this.bigPos <= this.big.length, 'read past the end of a frame buffer');
      if (this.bigPos === this.big.length) {
        const frame = this.big;
        this.big = undefined;
        this.opts.onFrame(frame);
      }
      return;
    }
    this.end += n;
    assert(this.end <= this.scratch.length, 'read past the end of the scratch buffer');
    this.parse();
  }

  /** Feeds bytes that arrived in a buffer of their own (the 'data' event path). */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.failed) {
      const n = chunk.copy(this.next(), 0, off);
      this.wrote(n);
      off += n;
    }
  }

  private parse(): void {
    const s = this.scratch;
    while (this.end - this.start >= 4) {
      const size = s.readInt32BE(this.start);
      if (size < 0 || size > this.opts.maxFrameBytes) {
        this.failed = true;
        this.opts.onBadSize(size);
        return;
      }
      const avail = this.end - this.start - 4;
      if (avail >= size) {
        const frame = Buffer.allocUnsafe(size);
        s.copy(frame, 0, this.start + 4, this.start + 4 + size);
        this.start += 4 + size;
        this.opts.onFrame(frame);
        if (this.failed) return;
        continue;
      }
      if (size + 4 > s.length / 2) {
        // Too large to gather here: give it its own buffer and read the rest straight into it.
        const apiKey = avail >= 2 ? s.readInt16BE(this.start + 4) : undefined;
        this.big = this.opts.allocFrame?.(size, apiKey) ?? Buffer.allocUnsafeSlow(size);
        assert(this.big.length === size, 'frame buffer of the wrong size');
        s.copy(this.big, 0, this.start + 4, this.end);
        this.bigPos = avail;
        this.start = this.end = 0;
      }
      break;
    }
    if (this.start === this.end) this.start = this.end = 0;
  }
}
