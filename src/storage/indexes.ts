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

/** Writes `count - persisted` new entries (or the whole file when `rewrite`); returns the new persisted count. */
function persistEntries(
  path: string,
  entrySize: number,
  persisted: number,
  count: number,
  rewrite: boolean,
  encode: (i: number, buf: Buffer, at: number) => void,
  sync: boolean,
): void {
  const from = rewrite ? 0 : persisted;
  if (!rewrite && from === count && !sync) return;
  const buf = Buffer.allocUnsafe((count - from) * entrySize);
  for (let i = from; i < count; i++) encode(i, buf, (i - from) * entrySize);
  const fd = openSync(path, rewrite ? 'w' : 'a');
  try {
    if (buf.length > 0) writeFully(fd, buf, rewrite ? 0 : persisted * entrySize);
    if (sync) fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

export class OffsetIndex {
  readonly baseOffset: number;
  readonly path: string;
  maxEntries: number;
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);
  count = 0;
  private persisted = 0;
  private rewrite = true;

  constructor(path: string, baseOffset: number, maxEntries: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.maxEntries = maxEntries;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
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
    if (n !== this.count) {
      this.count = n;
      if (this.persisted > n) this.rewrite = true;
    }
  }

  reset(): void {
    this.count = 0;
    this.rewrite = true;
  }

  persist(sync: boolean): void {
    persistEntries(
      this.path,
      OFFSET_ENTRY_SIZE,
      this.persisted,
      this.count,
      this.rewrite,
      (i, buf, at) => {
        buf.writeInt32BE(this.rel[i]!, at);
        buf.writeInt32BE(this.pos[i]!, at + 4);
      },
      sync,
    );
    this.persisted = this.count;
    this.rewrite = false;
  }

  /**
   * Loads the file; returns a reason string when it is unusable (missing, torn, not increasing, or pointing past
   * `logSize`).
   */
  load(logSize: number): string | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.path);
    } catch {
      return 'missing';
    }
    if (data.length % OFFSET_ENTRY_SIZE !== 0) return `size ${data.length} is not a multiple of ${OFFSET_ENTRY_SIZE}`;
    const n = data.length / OFFSET_ENTRY_SIZE;
    this.rel = new Int32Array(Math.max(16, n));
    this.pos = new Int32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      const rel = data.readInt32BE(i * OFFSET_ENTRY_SIZE);
      const pos = data.readInt32BE(i * OFFSET_ENTRY_SIZE + 4);
      if (rel < 0 || pos < 0 || pos >= logSize) return `entry ${i} (${rel}, ${pos}) out of range`;
      if (i > 0 && (rel <= this.rel[i - 1]! || pos <= this.pos[i - 1]!)) return `entry ${i} does not increase`;
      this.rel[i] = rel;
      this.pos[i] = pos;
    }
    this.count = n;
    this.persisted = n;
    this.rewrite = false;
    return undefined;
  }
}

export class TimeIndex {
  readonly baseOffset: number;
  readonly path: string;
  maxEntries: number;
  private ts = new Float64Array(16);
  private rel = new Int32Array(16);
  count = 0;
  private persisted = 0;
  private rewrite = true;

  constructor(path: string, baseOffset: number, maxEntries: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.maxEntries = maxEntries;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
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
    if (n !== this.count) {
      this.count = n;
      if (this.persisted > n) this.rewrite = true;
    }
  }

  reset(): void {
    this.count = 0;
    this.rewrite = true;
  }

  persist(sync: boolean): void {
    persistEntries(
      this.path,
      TIME_ENTRY_SIZE,
      this.persisted,
      this.count,
      this.rewrite,
      (i, buf, at) => {
        writeInt64(buf, at, this.ts[i]!);
        buf.writeInt32BE(this.rel[i]!, at + 8);
      },
      sync,
    );
    this.persisted = this.count;
    this.rewrite = false;
  }

  /** Loads the file; returns a reason string when it is unusable. `nextOffset` bounds the offsets. */
  load(nextOffset: number): string | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.path);
    } catch {
      return 'missing';
    }
    if (data.length % TIME_ENTRY_SIZE !== 0) return `size ${data.length} is not a multiple of ${TIME_ENTRY_SIZE}`;
    const n = data.length / TIME_ENTRY_SIZE;
    this.ts = new Float64Array(Math.max(16, n));
    this.rel = new Int32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      const ts = readInt64(data, i * TIME_ENTRY_SIZE);
      const rel = data.readInt32BE(i * TIME_ENTRY_SIZE + 8);
      if (rel < 0 || this.baseOffset + rel >= nextOffset) return `entry ${i} offset ${rel} out of range`;
      if (i > 0 && (ts <= this.ts[i - 1]! || rel < this.rel[i - 1]!)) return `entry ${i} does not increase`;
      this.ts[i] = ts;
      this.rel[i] = rel;
    }
    this.count = n;
    this.persisted = n;
    this.rewrite = false;
    return undefined;
  }
}
