// The log of one partition: a directory of segments `<base>.log/.index/.timeindex` (20-digit base offsets),
// modelled on Kafka's log. All I/O is synchronous so appends, reads and truncations are trivially ordered.
//
// This file is the log's face and its write side: state, append, roll, flush, truncation and lifecycle. The read
// path is log-read.ts, retention and the cleaner's segment swap log-retention.ts, opening and crash recovery
// log-load.ts; all of them work on one LogState (log-state.ts) that PartitionLog owns.

import { rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import {
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  PARTITION_LEADER_EPOCH,
} from '../records/batch-layout.ts';
import { assert, InvariantError } from '../util/assert.ts';
import { type LogConfig, MAX_SEGMENT_BYTES } from './config.ts';
import { CorruptLogError, ErrorCode, KafkaStorageError, StorageError } from './errors.ts';
import { type FsyncLimiter, fsyncDir, writeFully, writeInt64 } from './file-io.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import { loadLog } from './log-load.ts';
import { maxTimestampOffset, offsetForTimestamp, readLog } from './log-read.ts';
import {
  applyRetention,
  cleanerSegments,
  deleteRecordsBefore,
  replaceSegments,
  segmentLargestTimestamp,
} from './log-retention.ts';
import { active, floorIndex, type LogOps, type LogState, removeSegment } from './log-state.ts';
import { type StorageCaches, sharedCaches } from './lru.ts';
import type { ReadAlloc } from './read-buffers.ts';
import { Segment, type StorageLogger } from './segment.ts';

export { fsyncDir } from './file-io.ts';
export { CLEAN_COMMIT_SUFFIX } from './log-state.ts';
export type { StorageLogger } from './segment.ts';

/** Where one batch sits in the append buffer, with the header fields the log needs (already validated). */
export interface BatchInfo {
  position: number;
  size: number;
  lastOffsetDelta: number;
  recordCount: number;
  maxTimestamp: number;
  offsetOfMaxTimestampDelta?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time used for LogAppendTime topics, -1 for CreateTime. */
  logAppendTime: number;
}

export interface ReadResult {
  records: Buffer;
  /** Base offset of the first batch returned (may be below the fetch offset); undefined when empty. */
  firstOffset?: number;
}

export interface OpenOptions {
  clock?: () => number;
  logger?: StorageLogger;
  /** Offset below which everything was flushed; tail recovery starts at its segment. Unknown: last segment. */
  recoveryPoint?: number;
  /** The previous shutdown was clean: skip tail recovery. */
  cleanShutdown?: boolean;
  /** Checkpointed log start offset. */
  logStartOffset?: number;
  caches?: StorageCaches;
  /** Called once when an I/O error takes this log offline (the LogManager takes the whole log dir offline). */
  onFailure?: (log: PartitionLog, err: Error) => void;
  /** Called after each flush with its duration in ms (Kafka's LogFlushStats: flush.messages/flush.ms, roll). */
  onFlushed?: (ms: number) => void;
}

export interface SegmentInfo {
  baseOffset: number;
  size: number;
  active: boolean;
}

/** A sealed segment as the cleaner sees it: offsets in [baseOffset, end). */
export interface CleanableSegment {
  segment: Segment;
  baseOffset: number;
  end: number;
  size: number;
}

/** What the cleaner wrote for one group of segments, ready to swap in. */
export interface CleanedSegment {
  size: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

export interface DeletedSegment {
  baseOffset: number;
  size: number;
  reason: string;
}

const nullLogger: StorageLogger = { info() {}, warn() {}, error() {} };

/** Background flushes run at most this many at once process-wide, so a burst of rolls opens few files. */
const FLUSH_CONCURRENCY = 4;
let flushesRunning = 0;
const flushWaiters: Array<() => void> = [];

async function withFlushSlot(fn: () => Promise<void>): Promise<void> {
  while (flushesRunning >= FLUSH_CONCURRENCY) await new Promise<void>((resolve) => flushWaiters.push(resolve));
  flushesRunning++;
  try {
    await fn();
  } finally {
    flushesRunning--;
    flushWaiters.shift()?.();
  }
}

export class PartitionLog {
  readonly dir: string;
  /** When true (the single-node default) the high watermark is always the log end offset. */
  hwFollowsLeo = true;
  /** Segments, offsets and flush state, shared with log-read.ts, log-retention.ts and log-load.ts. */
  private readonly s: LogState;
  private readonly ops: LogOps;
  private failure: Error | undefined;
  private closed = false;
  private readonly onFailure: ((log: PartitionLog, err: Error) => void) | undefined;
  private readonly onFlushed: ((ms: number) => void) | undefined;

  private constructor(dir: string, config: LogConfig, opts: OpenOptions) {
    this.dir = dir;
    const s: LogState = {
      dir,
      config,
      env: {
        config: () => s.config,
        caches: opts.caches ?? sharedCaches(),
        logger: opts.logger ?? nullLogger,
        clock: opts.clock ?? Date.now,
      },
      segs: [],
      logStartOffset: 0,
      logEndOffset: 0,
      highWatermark: 0,
      recoveryPoint: 0,
      size: 0,
      unflushedMessages: 0,
      lastFlushTime: 0,
      dirDirty: false,
      unsynced: true,
      truncations: 0,
      epochs: undefined,
    };
    s.lastFlushTime = s.env.clock();
    this.s = s;
    this.ops = {
      s,
      io: (op, fn) => this.io(op, fn),
      highWatermark: () => this.highWatermark,
      rollNow: () => this.rollNow(),
      truncateFullyAndStartAt: (offset) => this.truncateFullyAndStartAt(offset),
    };
    this.onFailure = opts.onFailure;
    this.onFlushed = opts.onFlushed;
  }

  /**
   * Opens (and if needed recovers) the log. Never throws a StorageError: a log that cannot be loaded (I/O error,
   * corruption below the recovery point) is returned offline, and every operation on it answers
   * KAFKA_STORAGE_ERROR, so that nothing is served or overwritten until an operator looks at it.
   */
  static open(dir: string, config: LogConfig, opts: OpenOptions = {}): PartitionLog {
    const log = new PartitionLog(dir, config, opts);
    try {
      log.io('open', () => loadLog(log.ops, opts));
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      log.failure ??= err;
      for (const seg of log.s.segs) seg.close();
    }
    return log;
  }

  // ---- state -----------------------------------------------------------------------------------------------

  get logStartOffset(): number {
    return this.s.logStartOffset;
  }
  get logEndOffset(): number {
    return this.s.logEndOffset;
  }
  get highWatermark(): number {
    return this.hwFollowsLeo ? this.s.logEndOffset : this.s.highWatermark;
  }
  /** Sets the high watermark (clamped to [logStartOffset, logEndOffset]) and stops it following the LEO. */
  setHighWatermark(offset: number): void {
    this.hwFollowsLeo = false;
    this.s.highWatermark = Math.max(this.s.logStartOffset, Math.min(offset, this.s.logEndOffset));
  }
  /** Placeholder until transactions exist. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }
  get recoveryPoint(): number {
    return this.s.recoveryPoint;
  }
  /** Total bytes of all segment files. */
  get size(): number {
    return this.s.size;
  }
  get isOffline(): boolean {
    return this.failure !== undefined;
  }
  /** Why the log is offline, if it is. */
  get offlineReason(): Error | undefined {
    return this.failure;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Where each leader epoch starts in this log (`leader-epoch-checkpoint`), kept in step by every change below. */
  get epochs(): LeaderEpochCache {
    this.guard();
    return this.s.epochs!;
  }

  /**
   * Takes the log offline (its log dir failed, or corruption was found): every later operation throws
   * KAFKA_STORAGE_ERROR. Files are closed and left as they are for the operator.
   */
  markOffline(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const seg of this.s.segs) seg.close();
  }
  get segments(): SegmentInfo[] {
    const last = this.s.segs.length - 1;
    return this.s.segs.map((s, i) => ({ baseOffset: s.baseOffset, size: s.size, active: i === last }));
  }
  get currentConfig(): LogConfig {
    return this.s.config;
  }

  updateConfig(config: LogConfig): void {
    this.s.config = config;
    active(this.s).updateIndexLimits();
  }

  // ---- append ----------------------------------------------------------------------------------------------

  /**
   * Appends a request's batches for this partition (contiguous in `buf`) with one write. Assigns offsets from the
   * log end offset by rewriting each batch's base offset and partition leader epoch in place.
   */
  append(buf: Buffer, batches: BatchInfo[], leaderEpoch: number): AppendResult {
    this.guard();
    assert(batches.length > 0, 'append needs at least one batch');
    const start = batches[0]!.position;
    let end = start;
    let offsetSpan = 0;
    for (const b of batches) {
      assert(b.position === end, `batches must be contiguous: batch at ${b.position}, expected ${end}`);
      assert(b.lastOffsetDelta >= 0 && b.size >= LOG_OVERHEAD, 'invalid batch info');
      assert(b.position + b.size <= buf.length, 'batch extends past the buffer');
      assert(buf.readInt32BE(b.position + BATCH_LENGTH) + LOG_OVERHEAD === b.size, 'batch size disagrees with header');
      assert(buf.readInt32BE(b.position + LAST_OFFSET_DELTA) === b.lastOffsetDelta, 'lastOffsetDelta disagrees');
      assert(buf.readInt8(b.position + MAGIC) === 2, 'only magic 2 batches are stored');
      if (b.size > this.s.config.segmentBytes) {
        throw new StorageError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `batch of ${b.size} bytes exceeds segment.bytes ${this.s.config.segmentBytes}`,
        );
      }
      end += b.size;
      offsetSpan += b.lastOffsetDelta + 1;
    }
    const total = end - start;
    const now = this.s.env.clock();
    return this.io('append', () => {
      const baseOffset = this.s.logEndOffset;
      if (leaderEpoch >= 0) this.s.epochs!.assign(leaderEpoch, baseOffset);
      this.maybeRoll(total, baseOffset + offsetSpan - 1, now);
      const seg = active(this.s);
      let offset = baseOffset;
      for (const b of batches) {
        writeInt64(buf, b.position, offset);
        buf.writeInt32BE(leaderEpoch, b.position + PARTITION_LEADER_EPOCH);
        offset += b.lastOffsetDelta + 1;
      }
      const position = seg.size;
      writeFully(seg.writeFd(), buf.subarray(start, end), position);
      offset = baseOffset;
      let messages = 0;
      for (const b of batches) {
        const last = offset + b.lastOffsetDelta;
        const ofMax = offset + (b.offsetOfMaxTimestampDelta ?? b.lastOffsetDelta);
        seg.indexBatch(last, position + b.position - start, b.size, b.maxTimestamp, ofMax);
        offset = last + 1;
        messages += b.recordCount;
      }
      seg.size += total;
      seg.nextOffset = offset;
      this.s.size += total;
      this.s.logEndOffset = offset;
      this.s.unflushedMessages += messages;
      if (this.s.unflushedMessages >= this.s.config.flushMessages) this.flush();
      return {
        baseOffset,
        lastOffset: offset - 1,
        logAppendTime: this.s.config.messageTimestampType === 'LogAppendTime' ? now : -1,
      };
    });
  }

  private maybeRoll(bytes: number, lastOffset: number, now: number): void {
    const seg = active(this.s);
    if (seg.size === 0) return;
    const cfg = this.s.config;
    const reason =
      seg.size + bytes > Math.min(cfg.segmentBytes, MAX_SEGMENT_BYTES)
        ? 'size'
        : now - seg.createdAt > cfg.segmentMs - seg.rollJitterMs
          ? 'time'
          : seg.indexFull
            ? 'index full'
            : lastOffset - seg.baseOffset > 0x7fffffff
              ? 'offset overflow'
              : undefined;
    if (reason !== undefined) this.rollNow();
  }

  /** Starts a new active segment at the log end offset (no-op when the active segment is empty). */
  roll(): void {
    this.guard();
    this.io('roll', () => this.rollNow());
  }

  private rollNow(): void {
    const old = active(this.s);
    if (old.size === 0) return;
    old.seal();
    const seg = Segment.create(this.dir, this.s.logEndOffset, this.s.env);
    seg.activate();
    this.s.segs.push(seg);
    // The new segment's directory entry is made durable now, so a crash cannot lose a whole segment whose data
    // was later fsynced (flush.messages) while its name was not.
    fsyncDir(this.dir);
    this.flushSealedAsync(seg.baseOffset);
  }

  /**
   * Kafka's flush on roll: fsyncs the sealed segments above the recovery point in the background (libuv thread
   * pool, never blocking the event loop) and then advances the recovery point to `upTo`, so that recovery after a
   * crash only scans the active segment. Skipped when the log was truncated meanwhile.
   */
  private flushSealedAsync(upTo: number): void {
    const from = Math.max(0, floorIndex(this.s, this.s.recoveryPoint));
    const paths = this.s.segs
      .slice(from, this.s.segs.length - 1)
      .flatMap((s) => [s.logPath, s.indexPath, s.timeIndexPath]);
    const generation = this.s.truncations;
    void (async () => {
      // Time spent fsyncing (not waiting for a flush slot), for the log flush time metric.
      let fsyncMs = 0;
      for (const p of paths) {
        try {
          await withFlushSlot(async () => {
            const started = performance.now();
            const fh = await fsp.open(p, 'r');
            try {
              await fh.sync();
            } finally {
              await fh.close();
              fsyncMs += performance.now() - started;
            }
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted or replaced meanwhile
          if (this.failure !== undefined || this.closed) return;
          this.markOffline(err as Error);
          this.s.env.logger.error(
            { dir: this.dir, op: 'flush on roll', err },
            'storage I/O failed: partition log is now offline',
          );
          this.onFailure?.(this, err as Error);
          return;
        }
      }
      if (paths.length > 0) this.onFlushed?.(fsyncMs);
      if (this.closed || this.failure !== undefined || this.s.truncations !== generation) return;
      if (this.s.logEndOffset >= upTo && this.s.recoveryPoint < upTo) this.s.recoveryPoint = upTo;
    })();
  }

  // ---- flush -----------------------------------------------------------------------------------------------

  /** fsyncs everything above the recovery point (log, indexes, directory) and advances it to the log end. */
  flush(): void {
    this.guard();
    const started = performance.now();
    this.io('flush', () => {
      const from = Math.max(0, floorIndex(this.s, this.s.recoveryPoint));
      for (let i = from; i < this.s.segs.length; i++) this.s.segs[i]!.flush(true);
      if (this.s.dirDirty) {
        fsyncDir(this.dir);
        this.s.dirDirty = false;
      }
      this.s.recoveryPoint = this.s.logEndOffset;
      this.s.unflushedMessages = 0;
      this.s.unsynced = false;
      this.s.lastFlushTime = this.s.env.clock();
    });
    this.onFlushed?.(performance.now() - started);
  }

  /**
   * Whether anything written is not yet fsynced (a clean close of a log without it needs no fsync). An empty log
   * never does: losing its empty files to a power cut loses nothing, the next start recreates them at the
   * checkpointed log start offset.
   */
  get needsSync(): boolean {
    if (this.s.size === 0) return false;
    return (
      this.s.unsynced || this.s.dirDirty || this.s.unflushedMessages > 0 || this.s.recoveryPoint < this.s.logEndOffset
    );
  }

  /** Timer hook for flush.ms; returns whether it flushed. */
  flushIfDue(now = this.s.env.clock()): boolean {
    if (this.failure !== undefined || this.closed || this.s.unflushedMessages === 0) return false;
    if (now - this.s.lastFlushTime < this.s.config.flushMs) return false;
    this.flush();
    return true;
  }

  // ---- read ------------------------------------------------------------------------------------------------

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (see readLog in log-read.ts).
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    maxOffsetExclusive?: number,
    minOneMessage = true,
    alloc?: ReadAlloc,
  ): ReadResult {
    this.guard();
    return readLog(this.ops, fetchOffset, maxBytes, maxOffsetExclusive, minOneMessage, alloc);
  }

  /** The first batch whose max timestamp is >= `timestamp` (log-read.ts). */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number; batch: Buffer } | null {
    this.guard();
    return offsetForTimestamp(this.ops, timestamp);
  }

  /** The largest timestamp in the log and its offset (log-read.ts). */
  maxTimestampOffset(): { offset: number; timestamp: number } {
    this.guard();
    return maxTimestampOffset(this.ops);
  }

  // ---- truncation and deletion -----------------------------------------------------------------------------

  /** Removes every record at or above `offset` (replication). Truncates at a batch boundary. */
  truncateTo(offset: number): void {
    this.guard();
    if (offset >= this.s.logEndOffset) return;
    this.io('truncateTo', () => {
      if (offset < this.s.logStartOffset) {
        this.truncateFullyAndStartAt(offset);
        return;
      }
      const i = floorIndex(this.s, offset);
      assert(i >= 0, 'a segment must contain an offset above the log start');
      for (const seg of this.s.segs.splice(i + 1)) removeSegment(this.s, seg, this.s.config.fileDeleteDelayMs);
      const seg = this.s.segs[i]!;
      const bound = this.s.logEndOffset;
      const found = seg.translateOffset(offset, bound);
      if (found !== undefined) {
        const before = seg.size;
        seg.truncateToPosition(found.position, found.header.baseOffset);
        this.s.size -= before - seg.size;
      } else {
        seg.loadTail(bound);
      }
      if (!seg.isActive) seg.activate();
      this.s.logEndOffset = seg.nextOffset!;
      this.afterTruncation();
    });
  }

  /** Deletes everything and restarts the log empty at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    this.guard();
    this.io('truncateFully', () => {
      for (const seg of this.s.segs.splice(0)) removeSegment(this.s, seg, this.s.config.fileDeleteDelayMs);
      const seg = Segment.create(this.dir, offset, this.s.env);
      seg.activate();
      this.s.segs.push(seg);
      fsyncDir(this.dir);
      this.s.logStartOffset = offset;
      this.s.logEndOffset = offset;
      this.s.size = 0;
      this.s.epochs?.clear();
      this.afterTruncation();
    });
  }

  private afterTruncation(): void {
    this.s.epochs?.truncateFromEnd(this.s.logEndOffset);
    this.s.truncations++;
    this.s.logStartOffset = Math.min(this.s.logStartOffset, this.s.logEndOffset);
    this.s.recoveryPoint = Math.min(this.s.recoveryPoint, this.s.logEndOffset);
    this.s.highWatermark = Math.min(this.s.highWatermark, this.s.logEndOffset);
    this.s.unflushedMessages = 0;
    this.s.unsynced = true;
  }

  /** DeleteRecords: advances the log start offset and deletes segments wholly below it (log-retention.ts). */
  deleteRecordsBefore(offset: number): DeletedSegment[] {
    this.guard();
    return deleteRecordsBefore(this.ops, offset);
  }

  /** retention.ms, retention.bytes and log-start-offset deletion of whole old segments (log-retention.ts). */
  applyRetention(now = this.s.env.clock()): DeletedSegment[] {
    this.guard();
    return applyRetention(this.ops, now);
  }

  // ---- compaction (the cleaner's view and segment swap: log-retention.ts) ---------------------------------

  /** Every sealed (non-active) segment with its offset bounds, oldest first. */
  cleanerSegments(): CleanableSegment[] {
    this.guard();
    return cleanerSegments(this.ops);
  }

  /** Largest timestamp of a sealed segment (min.compaction.lag.ms). */
  segmentLargestTimestamp(c: CleanableSegment): number {
    this.guard();
    return segmentLargestTimestamp(this.ops, c);
  }

  /** Swaps the cleaner's output in for `group`, atomically across crashes; false when the segments changed. */
  replaceSegments(group: Segment[], end: number, cleaned: CleanedSegment): boolean {
    this.guard();
    return replaceSegments(this.ops, group, end, cleaned);
  }

  // ---- compaction -------------------------------------------------------------------------------------------

  /** The cleaner found a batch with a bad CRC in a sealed segment: corruption, the log goes offline. */
  markCorrupt(reason: string): void {
    this.s.env.logger.error(
      { dir: this.dir, reason },
      'CORRUPTION found by the log cleaner: the partition is now offline',
    );
    this.markOffline(new CorruptLogError(reason));
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  /** Flushes (unless `flush: false`) and closes every file. */
  close(opts: { flush?: boolean } = {}): void {
    if (this.closed) return;
    if (this.failure === undefined && opts.flush !== false) {
      this.io('close', () => {
        active(this.s).seal();
        this.flush();
      });
    }
    for (const seg of this.s.segs) seg.close();
    this.closed = true;
  }

  /**
   * close() for a broker shutting down many logs at once: writes what is in memory, then fsyncs on libuv's thread
   * pool (several logs in parallel, `fsyncs` at a time at most) instead of one synchronous fsync after another;
   * a log with nothing unflushed is not fsynced at all. The recovery point moves to the log end once the fsyncs
   * succeeded; a failure takes the log offline (the caller sees the KafkaStorageError and writes no marker).
   */
  async closeAsync(fsyncs: FsyncLimiter): Promise<void> {
    if (this.closed) return;
    if (this.failure !== undefined) {
      this.close();
      return;
    }
    const paths = this.io('close', () => {
      active(this.s).seal();
      if (!this.needsSync) return [];
      const out: Array<{ path: string; optional: boolean }> = [];
      for (let i = Math.max(0, floorIndex(this.s, this.s.recoveryPoint)); i < this.s.segs.length; i++) {
        const seg = this.s.segs[i]!;
        seg.flush(false);
        out.push({ path: seg.logPath, optional: false });
        // An index without entries may have no file.
        if (seg.isLoaded)
          out.push({ path: seg.indexPath, optional: true }, { path: seg.timeIndexPath, optional: true });
      }
      if (this.s.dirDirty) out.push({ path: this.dir, optional: false });
      return out;
    });
    for (const seg of this.s.segs) seg.close();
    this.closed = true;
    try {
      await Promise.all(paths.map((p) => fsyncs.fsync(p.path, p.optional)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw err;
      this.failure = err as Error;
      this.s.env.logger.error(
        { dir: this.dir, op: 'close', code, err },
        'storage I/O failed: partition log is now offline',
      );
      this.onFailure?.(this, err as Error);
      throw new KafkaStorageError(`close failed in ${this.dir}: ${code}`, { cause: err });
    }
    this.s.recoveryPoint = this.s.logEndOffset;
    this.s.dirDirty = false;
    this.s.unsynced = false;
    this.s.unflushedMessages = 0;
  }

  /** Closes without flushing and removes the partition directory. */
  delete(): void {
    for (const seg of this.s.segs) seg.close();
    this.closed = true;
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private guard(): void {
    if (this.failure !== undefined) {
      throw new KafkaStorageError(`log ${this.dir} is offline: ${this.failure.message}`, { cause: this.failure });
    }
    if (this.closed) throw new KafkaStorageError(`log ${this.dir} is closed`);
  }

  /** Runs an I/O step; a filesystem error takes the log offline (loudly) and surfaces as KAFKA_STORAGE_ERROR. */
  private io<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StorageError || err instanceof InvariantError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw err;
      const first = this.failure === undefined;
      this.markOffline(err as Error);
      this.s.env.logger.error({ dir: this.dir, op, code, err }, 'storage I/O failed: partition log is now offline');
      if (first) this.onFailure?.(this, err as Error);
      throw new KafkaStorageError(`${op} failed in ${this.dir}: ${code}`, { cause: err });
    }
  }
}
