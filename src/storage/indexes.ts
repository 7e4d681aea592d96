// Sparse in-memory indexes of one segment, persisted as Kafka-style files:
//   .index      entries of (relative offset int32, file position int32), big-endian
//   .timeindex  entries of (timestamp int64, relative offset int32), big-endian
// The file is only a cache of what a scan of the log would produce: appends go to memory, `persist` writes the new
// entries (or rewrites the file after a truncation), and a missing or inconsistent file is rebuilt from the log.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { assert } from '../util/assert.ts';
import { fsyncFd, readInt64, writeFully, writeInt64 } from './file-io.ts';

export const OFFSET_ENTRY_SIZE = 8;
export const TIME_ENTRY_SIZE = 12;

function grow<T extends Int32Array | Float64Array>(arr: T, need: number, make: (n: number) => T): T {
  if (need <= arr.length) return arr;
  const next = make(Math.max(need, arr.length * 2, 16));
  next.set(arr);
  return next;
}

/**
 * What both index files share: entries kept in memory, the file holding the first `persisted` of them (or to be
 * rewritten whole after a truncation), and loading with per-entry validation. Subclasses store the entries.
 */
abstract class IndexFile {
  readonly baseOffset: number;
  readonly path: string;
  maxEntries: number;
  count = 0;
  protected persisted = 0;
  protected rewrite = true;
  private readonly entrySize: number;

  constructor(path: string, baseOffset: number, maxEntries: number, entrySize: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.maxEntries = maxEntries;
    this.entrySize = entrySize;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  reset(): void {
    this.count = 0;
    this.rewrite = true;
  }

  /** Keeps the first `n` entries; the file is rewritten on the next persist if it held more. */
  protected truncateTo(n: number): void {
    if (n === this.count) return;
    this.count = n;
    if (this.persisted > n) this.rewrite = true;
  }

  /**
   * Writes the entries not yet in the file (or the whole file after a truncation); `sync` fsyncs it. A new index
   * without entries gets no file unless `create` (a missing file reads as an empty index, rebuilt from the log).
   */
  persist(sync: boolean, create = false): void {
    const size = this.entrySize;
    const from = this.rewrite ? 0 : this.persisted;
    if (!this.rewrite && from === this.count && !sync) return;
    if (this.count === 0 && this.persisted === 0 && !sync && !create) return;
    const buf = Buffer.allocUnsafe((this.count - from) * size);
    for (let i = from; i < this.count; i++) this.encodeEntry(i, buf, (i - from) * size);
    const fd = openSync(this.path, this.rewrite ? 'w' : 'a');
    try {
      if (buf.length > 0) writeFully(fd, buf, this.rewrite ? 0 : this.persisted * size);
      if (sync) fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    this.persisted = this.count;
    this.rewrite = false;
  }

  /** Loads the file; returns a reason string when it is unusable (missing, torn, or an entry rejected). */
  protected loadEntries(bound: number): string | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.path);
    } catch {
      return 'missing';
    }
    const size = this.entrySize;
    if (data.length % size !== 0) return `size ${data.length} is not a multiple of ${size}`;
    const n = data.length / size;
    this.allocate(n);
    for (let i = 0; i < n; i++) {
      const why = this.decodeEntry(i, data, i * size, bound);
      if (why !== undefined) return why;
    }
    this.count = n;
    this.persisted = n;
    this.rewrite = false;
    return undefined;
  }

  protected abstract encodeEntry(i: number, buf: Buffer, at: number): void;
  /** Stores entry `i` read at `at`, or returns why it is invalid (out of `bound`, not increasing). */
  protected abstract decodeEntry(i: number, data: Buffer, at: number, bound: number): string | undefined;
  /** Makes room for `n` entries (replacing the current ones). */
  protected abstract allocate(n: number): void;
}

export class OffsetIndex extends IndexFile {
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);

  constructor(path: string, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, OFFSET_ENTRY_SIZE);
  }

  lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.rel[this.count - 1]!;
  }

  lastPosition(): number {
    return this.count === 0 ? 0 : this.pos[this.count - 1]!;
  }

  entry(i: number): { offset: number; position: number } {
    return { offset: this.baseOffset + this.rel[i]!, position: this.pos[i]! };
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    assert(rel >= 0 && rel <= 0x7fffffff, `offset ${offset} does not fit index based at ${this.baseOffset}`);
    assert(
      this.count === 0 || (rel > this.rel[this.count - 1]! && position > this.pos[this.count - 1]!),
      `index entries must increase: ${offset}@${position} after ${this.lastOffset()}@${this.lastPosition()}`,
    );
    this.rel = grow(this.rel, this.count + 1, (n) => new Int32Array(n));
    this.pos = grow(this.pos, this.count + 1, (n) => new Int32Array(n));
    this.rel[this.count] = rel;
    this.pos[this.count] = position;
    this.count++;
  }

  /** The last entry whose offset is <= `offset`; the segment start when there is none. */
  lookup(offset: number): { offset: number; position: number } {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(found);
  }

  /** Drops entries pointing at or beyond `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    let n = this.count;
    while (n > 0 && this.pos[n - 1]! >= position) n--;
    this.truncateTo(n);
  }

  /**
   * Loads the file; returns a reason string when it is unusable (missing, torn, not increasing, or pointing past
   * `logSize`).
   */
  load(logSize: number): string | undefined {
    return this.loadEntries(logSize);
  }

  protected encodeEntry(i: number, buf: Buffer, at: number): void {
    buf.writeInt32BE(this.rel[i]!, at);
    buf.writeInt32BE(this.pos[i]!, at + 4);
  }

  protected decodeEntry(i: number, data: Buffer, at: number, logSize: number): string | undefined {
    const rel = data.readInt32BE(at);
    const pos = data.readInt32BE(at + 4);
    if (rel < 0 || pos < 0 || pos >= logSize) return `entry ${i} (${rel}, ${pos}) out of range`;
    if (i > 0 && (rel <= this.rel[i - 1]! || pos <= this.pos[i - 1]!)) return `entry ${i} does not increase`;
    this.rel[i] = rel;
    this.pos[i] = pos;
    return undefined;
  }

  protected allocate(n: number): void {
    this.rel = new Int32Array(Math.max(16, n));
    this.pos = new Int32Array(Math.max(16, n));
  }
}

export class TimeIndex extends IndexFile {
  private ts = new Float64Array(16);
  private rel = new Int32Array(16);

  constructor(path: string, baseOffset: number, maxEntries: number) {
    super(path, baseOffset, maxEntries, TIME_ENTRY_SIZE);
  }

  last(): { timestamp: number; offset: number } | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1);
  }

  entry(i: number): { timestamp: number; offset: number } {
    return { timestamp: this.ts[i]!, offset: this.baseOffset + this.rel[i]! };
  }

  /** Appends when `timestamp` is larger than the last entry's (and the index has room, unless `force`). */
  maybeAppend(timestamp: number, offset: number, force = false): void {
    if (timestamp < 0) return;
    if (this.count > 0 && timestamp <= this.ts[this.count - 1]!) return;
    if (!force && this.isFull) return;
    const rel = offset - this.baseOffset;
    assert(rel >= 0 && rel <= 0x7fffffff, `offset ${offset} does not fit time index based at ${this.baseOffset}`);
    assert(this.count === 0 || rel >= this.rel[this.count - 1]!, 'time index offsets must not decrease');
    this.ts = grow(this.ts, this.count + 1, (n) => new Float64Array(n));
    this.rel = grow(this.rel, this.count + 1, (n) => new Int32Array(n));
    this.ts[this.count] = timestamp;
    this.rel[this.count] = rel;
    this.count++;
  }

  /** The last entry whose timestamp is <= `timestamp`; (-1, segment base) when there is none. */
  lookup(timestamp: number): { timestamp: number; offset: number } {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entry(found);
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.baseOffset + this.rel[n - 1]! >= offset) n--;
    this.truncateTo(n);
  }

  /** Loads the file; returns a reason string when it is unusable. `nextOffset` bounds the offsets. */
  load(nextOffset: number): string | undefined {
    return this.loadEntries(nextOffset);
  }

  protected encodeEntry(i: number, buf: Buffer, at: number): void {
    writeInt64(buf, at, this.ts[i]!);
    buf.writeInt32BE(this.rel[i]!, at + 8);
  }

  protected decodeEntry(i: number, data: Buffer, at: number, nextOffset: number): string | undefined {
    const ts = readInt64(data, at);
    const rel = data.readInt32BE(at + 8);
    if (rel < 0 || this.baseOffset + rel >= nextOffset) return `entry ${i} offset ${rel} out of range`;
    if (i > 0 && (ts <= this.ts[i - 1]! || rel < this.rel[i - 1]!)) return `entry ${i} does not increase`;
    this.ts[i] = ts;
    this.rel[i] = rel;
    return undefined;
  }

  protected allocate(n: number): void {
    this.ts = new Float64Array(Math.max(16, n));
    this.rel = new Int32Array(Math.max(16, n));
  }
}
