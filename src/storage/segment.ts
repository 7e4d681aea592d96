// One segment of a partition log: `<base>.log` plus its sparse `.index` and `.timeindex`.
// Only the active segment keeps a file descriptor open; older segments read through the shared fd cache and load
// their indexes lazily (bounded by the shared index cache).
import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ATTRIBUTES, CRC, HEADER_SIZE, LOG_OVERHEAD } from '../records/batch-layout.ts';
import { crc32c } from '../records/crc32c.ts';
import { assert } from '../util/assert.ts';
import type { LogConfig } from './config.ts';
import { type BatchHeader, FileWindow, fsyncFd, readFully } from './file-io.ts';
import { OFFSET_ENTRY_SIZE, OffsetIndex, TIME_ENTRY_SIZE, TimeIndex } from './indexes.ts';
import type { StorageCaches, Unloadable } from './lru.ts';
import type { ReadAlloc } from './read-buffers.ts';

export interface StorageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SegmentEnv {
  config(): LogConfig;
  caches: StorageCaches;
  logger: StorageLogger;
  clock: () => number;
}

export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
const SCAN_CHUNK = 1024 * 1024;

/** Result of validating a segment's batches during recovery. */
export interface RecoveryResult {
  validBytes: number;
  /** Why the scan stopped before the end of the file, if it did. */
  problem?: string;
}

export class Segment implements Unloadable {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  size: number;
  /** Offset after the last batch; undefined for a sealed segment until something scans it. */
  nextOffset: number | undefined;
  /** Largest batch max timestamp (-1 none) and its offset; undefined until known. */
  maxTimestamp: number | undefined;
  offsetOfMaxTimestamp = -1;
  /** Wall-clock time the segment's roll timer started. */
  createdAt: number;
  readonly rollJitterMs: number;
  /** Active (appended to) segment; its writable fd comes from the shared cache, so open files stay bounded. */
  private active = false;
  private get fd(): number | undefined {
    if (!this.active) return undefined;
    return this.env.caches.writeFds.acquire(this.logPath, () => openSync(this.logPath, 'r+'));
  }
  private offsetIndex: OffsetIndex;
  private timeIndex: TimeIndex;
  private loaded = false;
  private bytesSinceLastIndexEntry = 0;
  private readonly env: SegmentEnv;

  constructor(dir: string, baseOffset: number, size: number, env: SegmentEnv) {
    this.baseOffset = baseOffset;
    const name = segmentName(baseOffset);
    this.logPath = join(dir, name + LOG_SUFFIX);
    this.indexPath = join(dir, name + INDEX_SUFFIX);
    this.timeIndexPath = join(dir, name + TIME_INDEX_SUFFIX);
    this.size = size;
    this.env = env;
    this.nextOffset = size === 0 ? baseOffset : undefined;
    this.maxTimestamp = size === 0 ? -1 : undefined;
    this.createdAt = env.clock();
    const jitter = env.config().segmentJitterMs ?? 0;
    this.rollJitterMs = jitter > 0 ? Math.floor(Math.random() * jitter) : 0;
    this.offsetIndex = this.newOffsetIndex();
    this.timeIndex = this.newTimeIndex();
  }

  /**
   * Creates an empty segment on disk (truncating a leftover log with the same name). The index files are written
   * by the first persist (which rewrites any leftover): an index file is a cache, a missing one is rebuilt from the
   * log, and not creating two empty files per new partition halves the cost of creating thousands of them.
   */
  static create(dir: string, baseOffset: number, env: SegmentEnv): Segment {
    const seg = new Segment(dir, baseOffset, 0, env);
    closeSync(openSync(seg.logPath, 'w'));
    seg.loaded = true;
    return seg;
  }

  private newOffsetIndex(): OffsetIndex {
    return new OffsetIndex(this.indexPath, this.baseOffset, this.maxIndexEntries(OFFSET_ENTRY_SIZE));
  }

  private newTimeIndex(): TimeIndex {
    return new TimeIndex(this.timeIndexPath, this.baseOffset, this.maxIndexEntries(TIME_ENTRY_SIZE));
  }

  private maxIndexEntries(entrySize: number): number {
    return Math.max(1, Math.floor(this.env.config().segmentIndexBytes / entrySize));
  }

  /** Whether the indexes are in memory (else the files on disk are as they were found). */
  get isLoaded(): boolean {
    return this.loaded;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Opens the segment for appending; its indexes stay loaded while active. */
  activate(): void {
    if (this.active) return;
    this.env.caches.fds.evict(this.logPath);
    this.active = true;
    this.env.caches.indexes.pin(this);
  }

  private readFd(): number {
    if (this.active) return this.fd!;
    return this.env.caches.fds.acquire(this.logPath, () => openSync(this.logPath, 'r'));
  }

  /** The active segment's fd (for appends). */
  writeFd(): number {
    assert(this.active, `segment ${this.logPath} is not active`);
    return this.fd!;
  }

  /** A read window over the file: small for index-guided lookups, large for whole-segment scans. */
  window(chunk = 16 * 1024): FileWindow {
    return new FileWindow(this.readFd(), this.size, chunk);
  }

  /** Reads `length` bytes at `position` (fewer at the end of the file) into memory from `alloc` (default: new). */
  read(position: number, length: number, alloc: ReadAlloc = Buffer.allocUnsafe): Buffer {
    const buf = alloc(length);
    const n = readFully(this.readFd(), buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  // ---- indexes ----------------------------------------------------------------------------------------------

  /** Makes sure the indexes are in memory. `nextOffsetBound` bounds a sealed segment's offsets. */
  ensureLoaded(nextOffsetBound: number): void {
    if (this.loaded) {
      if (!this.active) this.env.caches.indexes.touch(this);
      return;
    }
    this.offsetIndex = this.newOffsetIndex();
    this.timeIndex = this.newTimeIndex();
    let problem = this.offsetIndex.load(this.size);
    if (problem === undefined && this.offsetIndex.count > 0) {
      // The last entry must point at a batch whose last offset it names.
      const last = this.offsetIndex.entry(this.offsetIndex.count - 1);
      const h = this.window().header(last.position);
      if (h === undefined || h.lastOffset !== last.offset) problem = 'last entry does not match the log';
    }
    problem ??= this.timeIndex.load(nextOffsetBound);
    if (problem !== undefined) {
      if (problem !== 'missing' || this.size > 0) {
        this.env.logger.warn({ segment: this.logPath, problem }, 'rebuilding segment indexes');
      }
      this.rebuildIndexes();
    } else if (this.maxTimestamp === undefined) {
      const last = this.timeIndex.last();
      this.maxTimestamp = last?.timestamp ?? -1;
      this.offsetOfMaxTimestamp = last?.offset ?? -1;
    }
    this.loaded = true;
    if (!this.active) this.env.caches.indexes.touch(this);
  }

  /** Drops a sealed segment's in-memory indexes (called by the index cache). */
  unload(): void {
    if (this.active) return;
    this.offsetIndex = this.newOffsetIndex();
    this.timeIndex = this.newTimeIndex();
    this.loaded = false;
  }

  /** Rebuilds both indexes from batch headers (no checksum verification) and rewrites their files. */
  private rebuildIndexes(): void {
    this.resetIndexState();
    const w = this.window(SCAN_CHUNK);
    let pos = 0;
    while (pos < this.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE) break;
      this.indexBatch(h.lastOffset, pos, h.size, h.maxTimestamp, h.lastOffset);
      this.nextOffset = h.lastOffset + 1;
      pos += h.size;
    }
    this.timeIndex.maybeAppend(this.maxTimestamp!, this.offsetOfMaxTimestamp, true);
    this.offsetIndex.persist(false);
    this.timeIndex.persist(false);
  }

  private resetIndexState(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
  }

  /** Index bookkeeping for one batch written at `position` (Kafka's rule: an entry every indexIntervalBytes). */
  indexBatch(lastOffset: number, position: number, size: number, maxTimestamp: number, offsetOfMax: number): void {
    if (maxTimestamp > (this.maxTimestamp ?? -1)) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = offsetOfMax;
    }
    if (this.bytesSinceLastIndexEntry > this.env.config().indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp!, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Applies a changed segmentIndexBytes to the active segment. */
  updateIndexLimits(): void {
    this.offsetIndex.maxEntries = this.maxIndexEntries(OFFSET_ENTRY_SIZE);
    this.timeIndex.maxEntries = this.maxIndexEntries(TIME_ENTRY_SIZE);
  }

  // ---- recovery --------------------------------------------------------------------------------------------

  /**
   * Validates every batch (framing, magic, CRC32C, increasing offsets) and rebuilds the indexes. Stops at the
   * first bad batch and reports how many bytes are valid; the caller truncates.
   */
  recover(minOffset: number): RecoveryResult {
    this.resetIndexState();
    this.loaded = true;
    this.nextOffset = this.baseOffset;
    const w = this.window(SCAN_CHUNK);
    let pos = 0;
    let expected = Math.max(minOffset, this.baseOffset);
    let problem: string | undefined;
    while (pos < this.size) {
      const remaining = this.size - pos;
      if (remaining < HEADER_SIZE) {
        problem = `torn batch header: ${remaining} bytes left`;
        break;
      }
      const h = w.header(pos)!;
      problem = checkHeader(h, remaining, expected, this.baseOffset);
      if (problem !== undefined) break;
      const at = w.view(pos, h.size);
      assert(at >= 0, 'batch bytes must be readable');
      const stored = w.buf.readUInt32BE(at + CRC);
      const actual = crc32c(w.buf.subarray(at + ATTRIBUTES, at + h.size));
      if (stored !== actual) {
        problem = `CRC mismatch at offset ${h.baseOffset}: stored ${stored}, computed ${actual}`;
        break;
      }
      this.indexBatch(h.lastOffset, pos, h.size, h.maxTimestamp, h.lastOffset);
      expected = h.lastOffset + 1;
      this.nextOffset = expected;
      pos += h.size;
    }
    this.timeIndex.maybeAppend(this.maxTimestamp!, this.offsetOfMaxTimestamp, true);
    if (!this.active) this.env.caches.indexes.touch(this);
    return { validBytes: pos, problem };
  }

  /**
   * Learns nextOffset and the max timestamp without validating: starts at the last index entries and reads batch
   * headers to the end (the clean-shutdown path).
   */
  loadTail(nextOffsetBound: number): void {
    this.ensureLoaded(nextOffsetBound);
    if (this.size === 0) {
      this.nextOffset = this.baseOffset;
      return;
    }
    const start = this.offsetIndex.count > 0 ? this.offsetIndex.lastPosition() : 0;
    const w = this.window();
    let pos = start;
    while (pos < this.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE) break;
      if (h.maxTimestamp > (this.maxTimestamp ?? -1)) {
        this.maxTimestamp = h.maxTimestamp;
        this.offsetOfMaxTimestamp = h.lastOffset;
      }
      this.nextOffset = h.lastOffset + 1;
      pos += h.size;
    }
    this.bytesSinceLastIndexEntry = this.size - start;
  }

  // ---- lookups ---------------------------------------------------------------------------------------------

  /**
   * The first batch at or after `startPosition` whose last offset is >= `offset`, found from the offset index;
   * undefined when the segment has none.
   */
  translateOffset(
    offset: number,
    nextOffsetBound: number,
    startPosition = 0,
  ): { position: number; header: BatchHeader } | undefined {
    this.ensureLoaded(nextOffsetBound);
    let pos = Math.max(startPosition, this.offsetIndex.lookup(offset).position);
    const w = this.window();
    while (pos < this.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE) return undefined;
      if (h.lastOffset >= offset) return { position: pos, header: h };
      pos += h.size;
    }
    return undefined;
  }

  /** The first batch whose max timestamp is >= `timestamp` and whose last offset is >= `minOffset`. */
  findByTimestamp(
    timestamp: number,
    minOffset: number,
    nextOffsetBound: number,
  ): { position: number; header: BatchHeader } | undefined {
    this.ensureLoaded(nextOffsetBound);
    const entry = this.timeIndex.lookup(timestamp);
    const start = this.translateOffset(Math.max(entry.offset, minOffset), nextOffsetBound);
    if (start === undefined) return undefined;
    const w = this.window();
    let pos = start.position;
    while (pos < this.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE) return undefined;
      if (h.maxTimestamp >= timestamp) return { position: pos, header: h };
      pos += h.size;
    }
    return undefined;
  }

  /** Largest timestamp for retention: the max batch timestamp, or the file's mtime when batches carry none. */
  largestTimestamp(nextOffsetBound: number): number {
    if (this.maxTimestamp === undefined) this.ensureLoaded(nextOffsetBound);
    if (this.maxTimestamp! >= 0) return this.maxTimestamp!;
    return statSync(this.logPath).mtimeMs;
  }

  // ---- mutation ----------------------------------------------------------------------------------------------

  /** Truncates the log file to `position` (a batch boundary) and drops index entries beyond it. */
  truncateToPosition(position: number, nextOffset: number): void {
    const fd = this.fd ?? openSync(this.logPath, 'r+');
    try {
      ftruncateSync(fd, position);
    } finally {
      if (fd !== this.fd) closeSync(fd);
    }
    this.env.caches.fds.evict(this.logPath);
    this.size = position;
    this.nextOffset = nextOffset;
    if (!this.loaded) return;
    this.offsetIndex.truncateToPosition(position);
    this.timeIndex.truncateToOffset(nextOffset);
    // Recompute the max timestamp from the last remaining time-index entry plus a scan of what follows it.
    const last = this.timeIndex.last();
    this.maxTimestamp = last?.timestamp ?? -1;
    this.offsetOfMaxTimestamp = last?.offset ?? -1;
    const w = this.window();
    let pos = last === undefined ? 0 : this.offsetIndex.lookup(last.offset).position;
    while (pos < this.size) {
      const h = w.header(pos);
      if (h === undefined || h.size < HEADER_SIZE) break;
      if (h.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = h.maxTimestamp;
        this.offsetOfMaxTimestamp = h.lastOffset;
      }
      pos += h.size;
    }
    this.bytesSinceLastIndexEntry = this.size - this.offsetIndex.lastPosition();
  }

  /** Writes index files; with `sync`, also fsyncs the log and the index files. */
  flush(sync: boolean, createIndexFiles = false): void {
    if (sync) {
      const fd = this.fd ?? openSync(this.logPath, 'r');
      try {
        fsyncFd(fd);
      } finally {
        if (fd !== this.fd) closeSync(fd);
      }
    }
    if (this.loaded) {
      this.offsetIndex.persist(sync, createIndexFiles);
      this.timeIndex.persist(sync, createIndexFiles);
    }
  }

  /** Stops being the active segment: records the final max timestamp, writes the indexes, closes the fd. */
  seal(): void {
    if (!this.active) return;
    this.timeIndex.maybeAppend(this.maxTimestamp ?? -1, this.offsetOfMaxTimestamp, true);
    // A sealed segment with data gets its index files even when they hold no entry (else every start rebuilds).
    this.flush(false, this.size > 0);
    this.env.caches.writeFds.evict(this.logPath);
    this.active = false;
    this.env.caches.indexes.touch(this);
  }

  /** Size check of the file against our bookkeeping (for tests and assertions). */
  fileSize(): number {
    return fstatSync(this.readFd()).size;
  }

  close(): void {
    if (this.active) {
      this.env.caches.writeFds.evict(this.logPath);
      this.active = false;
    }
    this.env.caches.fds.evict(this.logPath);
    this.env.caches.indexes.forget(this);
  }

  /** Renames the files to `*.deleted` and removes them after `delayMs`. */
  markDeleted(delayMs: number): void {
    this.close();
    const renamed: string[] = [];
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        renameSync(p, p + DELETED_SUFFIX);
        renamed.push(p + DELETED_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const remove = (): void => {
      for (const p of renamed) {
        try {
          unlinkSync(p);
        } catch {
          // Already gone (the whole directory may have been deleted).
        }
      }
    };
    if (delayMs <= 0) remove();
    else setTimeout(remove, delayMs).unref();
  }
}

function checkHeader(h: BatchHeader, remaining: number, expected: number, segmentBase: number): string | undefined {
  if (h.size < HEADER_SIZE) return `invalid batch length ${h.size - LOG_OVERHEAD}`;
  if (h.size > remaining) return `torn batch at offset ${h.baseOffset}: size ${h.size}, ${remaining} bytes left`;
  if (h.magic !== 2) return `unsupported magic ${h.magic}`;
  if (h.lastOffset < h.baseOffset || h.lastOffset - h.baseOffset > 0x7fffffff) {
    return `invalid last offset delta ${h.lastOffset - h.baseOffset}`;
  }
  if (h.baseOffset < expected) return `offset ${h.baseOffset} is below the expected ${expected}`;
  if (h.lastOffset - segmentBase > 0x7fffffff) return `offset ${h.lastOffset} does not fit segment ${segmentBase}`;
  return undefined;
}
