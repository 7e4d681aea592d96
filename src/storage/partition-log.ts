// The log of one partition: a directory of segments `<base>.log/.index/.timeindex` (20-digit base offsets),
// modelled on Kafka's log. All I/O is synchronous so appends, reads and truncations are trivially ordered.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  PARTITION_LEADER_EPOCH,
} from '../records/batch-layout.ts';
import { assert, InvariantError } from '../util/assert.ts';
import { type LogConfig, MAX_SEGMENT_BYTES } from './config.ts';
import { CorruptLogError, ErrorCode, KafkaStorageError, OffsetOutOfRangeError, StorageError } from './errors.ts';
import { type FsyncLimiter, fsyncDir, fsyncFd, writeFully, writeInt64 } from './file-io.ts';
import { EpochCheckpointFile, epochsFromSegments, LeaderEpochCache } from './leader-epoch-cache.ts';
import { type StorageCaches, sharedCaches } from './lru.ts';
import type { ReadAlloc } from './read-buffers.ts';
import { CLEANED_SUFFIX, Segment, type SegmentEnv, type StorageLogger, segmentName } from './segment.ts';

/** Marks a cleaner swap as committed: `<base>.clean-commit` holds the group's end offset and cleaned size. */
export const CLEAN_COMMIT_SUFFIX = '.clean-commit';

export { fsyncDir } from './file-io.ts';
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

const EMPTY = Buffer.alloc(0);
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const LEFTOVER = ['.deleted', '.tmp', '.cleaned', '.swap', CLEAN_COMMIT_SUFFIX];

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
  private config: LogConfig;
  private readonly env: SegmentEnv;
  private segs: Segment[] = [];
  private _logStartOffset = 0;
  private _logEndOffset = 0;
  private _highWatermark = 0;
  /** When true (the single-node default) the high watermark is always the log end offset. */
  hwFollowsLeo = true;
  private _recoveryPoint = 0;
  private _size = 0;
  private unflushedMessages = 0;
  private lastFlushTime: number;
  private dirDirty = false;
  /** Files changed without an fsync in ways the recovery point does not show (recovery, truncation, cleaning). */
  private unsynced = true;
  /** Bumped by every truncation (a background flush started before it must not advance the recovery point). */
  private truncations = 0;
  private failure: Error | undefined;
  private closed = false;
  private _epochs: LeaderEpochCache | undefined;
  private readonly onFailure: ((log: PartitionLog, err: Error) => void) | undefined;

  private constructor(dir: string, config: LogConfig, opts: OpenOptions) {
    this.dir = dir;
    this.config = config;
    this.env = {
      config: () => this.config,
      caches: opts.caches ?? sharedCaches(),
      logger: opts.logger ?? nullLogger,
      clock: opts.clock ?? Date.now,
    };
    this.lastFlushTime = this.env.clock();
    this.onFailure = opts.onFailure;
  }

  /**
   * Opens (and if needed recovers) the log. Never throws a StorageError: a log that cannot be loaded (I/O error,
   * corruption below the recovery point) is returned offline, and every operation on it answers
   * KAFKA_STORAGE_ERROR, so that nothing is served or overwritten until an operator looks at it.
   */
  static open(dir: string, config: LogConfig, opts: OpenOptions = {}): PartitionLog {
    const log = new PartitionLog(dir, config, opts);
    try {
      log.io('open', () => log.load(opts));
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      log.failure ??= err;
      for (const seg of log.segs) seg.close();
    }
    return log;
  }

  // ---- state -----------------------------------------------------------------------------------------------

  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this._logEndOffset;
  }
  get highWatermark(): number {
    return this.hwFollowsLeo ? this._logEndOffset : this._highWatermark;
  }
  /** Sets the high watermark (clamped to [logStartOffset, logEndOffset]) and stops it following the LEO. */
  setHighWatermark(offset: number): void {
    this.hwFollowsLeo = false;
    this._highWatermark = Math.max(this._logStartOffset, Math.min(offset, this._logEndOffset));
  }
  /** Placeholder until transactions exist. */
  get lastStableOffset(): number {
    return this.highWatermark;
  }
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }
  /** Total bytes of all segment files. */
  get size(): number {
    return this._size;
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
    return this._epochs!;
  }

  /**
   * Takes the log offline (its log dir failed, or corruption was found): every later operation throws
   * KAFKA_STORAGE_ERROR. Files are closed and left as they are for the operator.
   */
  markOffline(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const seg of this.segs) seg.close();
  }
  get segments(): SegmentInfo[] {
    const last = this.segs.length - 1;
    return this.segs.map((s, i) => ({ baseOffset: s.baseOffset, size: s.size, active: i === last }));
  }
  get currentConfig(): LogConfig {
    return this.config;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    this.active().updateIndexLimits();
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
      if (b.size > this.config.segmentBytes) {
        throw new StorageError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `batch of ${b.size} bytes exceeds segment.bytes ${this.config.segmentBytes}`,
        );
      }
      end += b.size;
      offsetSpan += b.lastOffsetDelta + 1;
    }
    const total = end - start;
    const now = this.env.clock();
    return this.io('append', () => {
      const baseOffset = this._logEndOffset;
      if (leaderEpoch >= 0) this._epochs!.assign(leaderEpoch, baseOffset);
      this.maybeRoll(total, baseOffset + offsetSpan - 1, now);
      const seg = this.active();
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
      this._size += total;
      this._logEndOffset = offset;
      this.unflushedMessages += messages;
      if (this.unflushedMessages >= this.config.flushMessages) this.flush();
      return {
        baseOffset,
        lastOffset: offset - 1,
        logAppendTime: this.config.messageTimestampType === 'LogAppendTime' ? now : -1,
      };
    });
  }

  private maybeRoll(bytes: number, lastOffset: number, now: number): void {
    const seg = this.active();
    if (seg.size === 0) return;
    const cfg = this.config;
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
    const old = this.active();
    if (old.size === 0) return;
    old.seal();
    const seg = Segment.create(this.dir, this._logEndOffset, this.env);
    seg.activate();
    this.segs.push(seg);
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
    const from = Math.max(0, this.floorIndex(this._recoveryPoint));
    const paths = this.segs.slice(from, this.segs.length - 1).flatMap((s) => [s.logPath, s.indexPath, s.timeIndexPath]);
    const generation = this.truncations;
    void (async () => {
      for (const p of paths) {
        try {
          await withFlushSlot(async () => {
            const fh = await fsp.open(p, 'r');
            try {
              await fh.sync();
            } finally {
              await fh.close();
            }
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted or replaced meanwhile
          if (this.failure !== undefined || this.closed) return;
          this.markOffline(err as Error);
          this.env.logger.error(
            { dir: this.dir, op: 'flush on roll', err },
            'storage I/O failed: partition log is now offline',
          );
          this.onFailure?.(this, err as Error);
          return;
        }
      }
      if (this.closed || this.failure !== undefined || this.truncations !== generation) return;
      if (this._logEndOffset >= upTo && this._recoveryPoint < upTo) this._recoveryPoint = upTo;
    })();
  }

  // ---- flush -----------------------------------------------------------------------------------------------

  /** fsyncs everything above the recovery point (log, indexes, directory) and advances it to the log end. */
  flush(): void {
    this.guard();
    this.io('flush', () => {
      const from = Math.max(0, this.floorIndex(this._recoveryPoint));
      for (let i = from; i < this.segs.length; i++) this.segs[i]!.flush(true);
      if (this.dirDirty) {
        fsyncDir(this.dir);
        this.dirDirty = false;
      }
      this._recoveryPoint = this._logEndOffset;
      this.unflushedMessages = 0;
      this.unsynced = false;
      this.lastFlushTime = this.env.clock();
    });
  }

  /**
   * Whether anything written is not yet fsynced (a clean close of a log without it needs no fsync). An empty log
   * never does: losing its empty files to a power cut loses nothing, the next start recreates them at the
   * checkpointed log start offset.
   */
  get needsSync(): boolean {
    if (this._size === 0) return false;
    return this.unsynced || this.dirDirty || this.unflushedMessages > 0 || this._recoveryPoint < this._logEndOffset;
  }

  /** Timer hook for flush.ms; returns whether it flushed. */
  flushIfDue(now = this.env.clock()): boolean {
    if (this.failure !== undefined || this.closed || this.unflushedMessages === 0) return false;
    if (now - this.lastFlushTime < this.config.flushMs) return false;
    this.flush();
    return true;
  }

  // ---- read ------------------------------------------------------------------------------------------------

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (the last may be partial, as in Kafka;
   * with `minOneMessage` an oversized first batch is returned whole). Never returns a batch containing or beyond
   * `maxOffsetExclusive` (default: the log end offset). `alloc` supplies the memory read into (fetches use pooled
   * slabs, see read-buffers.ts); by default each read gets a new Buffer.
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    maxOffsetExclusive?: number,
    minOneMessage = true,
    alloc?: ReadAlloc,
  ): ReadResult {
    this.guard();
    if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${fetchOffset} is out of range [${this._logStartOffset}, ${this._logEndOffset}] in ${this.dir}`,
      );
    }
    const limit = Math.min(maxOffsetExclusive ?? this._logEndOffset, this._logEndOffset);
    if (fetchOffset >= limit) return { records: EMPTY };
    return this.io('read', () => {
      const chunks: Buffer[] = [];
      let firstOffset: number | undefined;
      let remaining = maxBytes;
      let offset = fetchOffset;
      for (let i = this.floorIndex(fetchOffset); i < this.segs.length; i++) {
        const seg = this.segs[i]!;
        const bound = this.upperBound(i);
        const start = seg.translateOffset(offset, bound);
        offset = bound;
        if (start === undefined) continue;
        if (start.header.lastOffset >= limit) break;
        const stop = limit < bound ? seg.translateOffset(limit, bound, start.position) : undefined;
        const endPos = stop?.position ?? seg.size;
        const avail = endPos - start.position;
        let want = Math.min(avail, remaining);
        if (chunks.length === 0 && minOneMessage && start.header.size > want) {
          want = Math.min(start.header.size, avail);
        }
        if (want <= 0) break;
        chunks.push(seg.read(start.position, want, alloc));
        firstOffset ??= start.header.baseOffset;
        remaining -= want;
        if (want < avail || stop !== undefined || remaining <= 0) break;
      }
      if (chunks.length === 0) return { records: EMPTY };
      return { records: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), firstOffset };
    });
  }

  /**
   * The first batch (at or above the log start offset) whose max timestamp is >= `timestamp`; `offset` is its
   * base offset and the caller refines inside `batch`. Null when no batch qualifies.
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number; batch: Buffer } | null {
    this.guard();
    return this.io('offsetForTimestamp', () => {
      for (let i = Math.max(0, this.floorIndex(this._logStartOffset)); i < this.segs.length; i++) {
        const seg = this.segs[i]!;
        const bound = this.upperBound(i);
        if (seg.maxTimestamp === undefined) seg.ensureLoaded(bound);
        if (seg.maxTimestamp! < timestamp) continue;
        const found = seg.findByTimestamp(timestamp, this._logStartOffset, bound);
        if (found === undefined) continue;
        return {
          offset: found.header.baseOffset,
          timestamp: found.header.maxTimestamp,
          batch: seg.read(found.position, found.header.size),
        };
      }
      return null;
    });
  }

  /**
   * The largest timestamp in the log and its offset (exact for batches appended by this process, the batch's
   * last offset for batches found by recovery); -1/-1 when no batch has a timestamp.
   */
  maxTimestampOffset(): { offset: number; timestamp: number } {
    this.guard();
    return this.io('maxTimestampOffset', () => {
      let best = { offset: -1, timestamp: -1 };
      for (let i = 0; i < this.segs.length; i++) {
        const seg = this.segs[i]!;
        if (seg.maxTimestamp === undefined) seg.ensureLoaded(this.upperBound(i));
        if (seg.maxTimestamp! > best.timestamp)
          best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp! };
      }
      return best;
    });
  }

  // ---- truncation and deletion -----------------------------------------------------------------------------

  /** Removes every record at or above `offset` (replication). Truncates at a batch boundary. */
  truncateTo(offset: number): void {
    this.guard();
    if (offset >= this._logEndOffset) return;
    this.io('truncateTo', () => {
      if (offset < this._logStartOffset) {
        this.truncateFullyAndStartAt(offset);
        return;
      }
      const i = this.floorIndex(offset);
      assert(i >= 0, 'a segment must contain an offset above the log start');
      for (const seg of this.segs.splice(i + 1)) this.removeSegment(seg, this.config.fileDeleteDelayMs);
      const seg = this.segs[i]!;
      const bound = this._logEndOffset;
      const found = seg.translateOffset(offset, bound);
      if (found !== undefined) {
        const before = seg.size;
        seg.truncateToPosition(found.position, found.header.baseOffset);
        this._size -= before - seg.size;
      } else {
        seg.loadTail(bound);
      }
      if (!seg.isActive) seg.activate();
      this._logEndOffset = seg.nextOffset!;
      this.afterTruncation();
    });
  }

  /** Deletes everything and restarts the log empty at `offset`. */
  truncateFullyAndStartAt(offset: number): void {
    this.guard();
    this.io('truncateFully', () => {
      for (const seg of this.segs.splice(0)) this.removeSegment(seg, this.config.fileDeleteDelayMs);
      const seg = Segment.create(this.dir, offset, this.env);
      seg.activate();
      this.segs.push(seg);
      fsyncDir(this.dir);
      this._logStartOffset = offset;
      this._logEndOffset = offset;
      this._size = 0;
      this._epochs?.clear();
      this.afterTruncation();
    });
  }

  private afterTruncation(): void {
    this._epochs?.truncateFromEnd(this._logEndOffset);
    this.truncations++;
    this._logStartOffset = Math.min(this._logStartOffset, this._logEndOffset);
    this._recoveryPoint = Math.min(this._recoveryPoint, this._logEndOffset);
    this._highWatermark = Math.min(this._highWatermark, this._logEndOffset);
    this.unflushedMessages = 0;
    this.unsynced = true;
  }

  /** DeleteRecords: advances the log start offset and deletes segments wholly below it. */
  deleteRecordsBefore(offset: number): DeletedSegment[] {
    this.guard();
    if (offset > this.highWatermark || offset < 0) {
      throw new OffsetOutOfRangeError(
        `cannot delete records before ${offset}: high watermark is ${this.highWatermark}`,
      );
    }
    if (offset <= this._logStartOffset) return [];
    this._logStartOffset = offset;
    return this.io('deleteRecords', () => {
      this._epochs!.truncateFromStart(offset);
      return this.deleteLogStartBreached();
    });
  }

  private deleteLogStartBreached(): DeletedSegment[] {
    return this.deleteOldSegments(
      (_s, i) => i + 1 < this.segs.length && this.segs[i + 1]!.baseOffset <= this._logStartOffset,
      'log start offset',
    );
  }

  /** retention.ms, retention.bytes and log-start-offset deletion of whole old segments. */
  applyRetention(now = this.env.clock()): DeletedSegment[] {
    this.guard();
    return this.io('retention', () => {
      const deleted: DeletedSegment[] = [];
      const { retentionMs, retentionBytes } = this.config;
      const deleteEnabled = this.config.deleteEnabled !== false;
      if (deleteEnabled && retentionMs >= 0) {
        deleted.push(
          ...this.deleteOldSegments(
            (s, i) => now - s.largestTimestamp(this.upperBound(i)) > retentionMs,
            `retention.ms ${retentionMs}`,
          ),
        );
      }
      if (deleteEnabled && retentionBytes >= 0) {
        let diff = this._size - retentionBytes;
        deleted.push(
          ...this.deleteOldSegments((s) => {
            if (diff - s.size < 0) return false;
            diff -= s.size;
            return true;
          }, `retention.bytes ${retentionBytes}`),
        );
      }
      deleted.push(...this.deleteLogStartBreached());
      return deleted;
    });
  }

  /**
   * Deletes the longest prefix of segments matching `predicate` that lies below the high watermark. When that is
   * every segment, rolls first so an empty active segment remains (as Kafka does).
   */
  private deleteOldSegments(predicate: (s: Segment, i: number) => boolean, reason: string): DeletedSegment[] {
    let count = 0;
    while (count < this.segs.length) {
      const seg = this.segs[count]!;
      const isLast = count === this.segs.length - 1;
      if (this.upperBound(count) > this.highWatermark) break;
      if (isLast && seg.size === 0) break;
      if (!predicate(seg, count)) break;
      count++;
    }
    if (count === 0) return [];
    if (count === this.segs.length) this.rollNow();
    const victims = this.segs.splice(0, count);
    const out: DeletedSegment[] = [];
    for (const seg of victims) {
      out.push({ baseOffset: seg.baseOffset, size: seg.size, reason });
      this.env.logger.info({ dir: this.dir, segment: seg.baseOffset, size: seg.size, reason }, 'deleting segment');
      this.removeSegment(seg, this.config.fileDeleteDelayMs);
    }
    this._logStartOffset = Math.max(this._logStartOffset, this.segs[0]!.baseOffset);
    this._highWatermark = Math.max(this._highWatermark, this._logStartOffset);
    this._epochs!.truncateFromStart(this._logStartOffset);
    return out;
  }

  private removeSegment(seg: Segment, delayMs: number): void {
    this._size -= seg.size;
    seg.markDeleted(delayMs);
    this.dirDirty = true;
  }

  // ---- compaction -------------------------------------------------------------------------------------------

  /** Every sealed (non-active) segment with its offset bounds, oldest first. */
  cleanerSegments(): CleanableSegment[] {
    this.guard();
    const out: CleanableSegment[] = [];
    for (let i = 0; i < this.segs.length - 1; i++) {
      const s = this.segs[i]!;
      out.push({ segment: s, baseOffset: s.baseOffset, end: this.upperBound(i), size: s.size });
    }
    return out;
  }

  /** Largest timestamp of a sealed segment (min.compaction.lag.ms). */
  segmentLargestTimestamp(c: CleanableSegment): number {
    this.guard();
    return this.io('largestTimestamp', () => c.segment.largestTimestamp(c.end));
  }

  /**
   * Replaces `group` (consecutive sealed segments covering [group[0].base, end)) with the cleaner's output in
   * `<base>.{log,index,timeindex}.cleaned`. Atomic across crashes: `<base>.clean-commit` (end offset and size) is
   * made durable first, and a load finishes a committed swap. Returns false, touching nothing, when the log's
   * segments changed since the cleaner read them (retention, truncation): the caller discards its output.
   */
  replaceSegments(group: Segment[], end: number, cleaned: CleanedSegment): boolean {
    this.guard();
    const i = this.segs.indexOf(group[0]!);
    if (i < 0 || i + group.length >= this.segs.length) return false;
    for (let k = 0; k < group.length; k++) if (this.segs[i + k] !== group[k]) return false;
    if (this.upperBound(i + group.length - 1) !== end) return false;
    return this.io('cleaner swap', () => {
      const base = group[0]!.baseOffset;
      const prefix = join(this.dir, segmentName(base));
      assert(statSync(`${prefix}.log${CLEANED_SUFFIX}`).size === cleaned.size, 'cleaned segment size mismatch');
      const commit = prefix + CLEAN_COMMIT_SUFFIX;
      const fd = openSync(`${commit}.tmp`, 'w');
      try {
        writeFully(fd, Buffer.from(`${end} ${cleaned.size}\n`), 0);
        fsyncFd(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(`${commit}.tmp`, commit);
      fsyncDir(this.dir);
      // Committed: from here a crash is finished by completeCleanerSwaps at the next load.
      for (const seg of group) seg.close();
      for (const seg of group.slice(1)) {
        for (const p of [seg.logPath, seg.indexPath, seg.timeIndexPath]) rmSync(p, { force: true });
      }
      for (const suffix of ['.index', '.timeindex', '.log']) {
        renameSync(`${prefix}${suffix}${CLEANED_SUFFIX}`, prefix + suffix);
      }
      fsyncDir(this.dir);
      unlinkSync(commit);
      fsyncDir(this.dir);
      const seg = new Segment(this.dir, base, cleaned.size, this.env);
      seg.maxTimestamp = cleaned.maxTimestamp;
      seg.offsetOfMaxTimestamp = cleaned.offsetOfMaxTimestamp;
      let removed = 0;
      for (const g of group) removed += g.size;
      this.segs.splice(i, group.length, seg);
      this._size += cleaned.size - removed;
      return true;
    });
  }

  /** The cleaner found a batch with a bad CRC in a sealed segment: corruption, the log goes offline. */
  markCorrupt(reason: string): void {
    this.env.logger.error(
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
        this.active().seal();
        this.flush();
      });
    }
    for (const seg of this.segs) seg.close();
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
      this.active().seal();
      if (!this.needsSync) return [];
      const out: Array<{ path: string; optional: boolean }> = [];
      for (let i = Math.max(0, this.floorIndex(this._recoveryPoint)); i < this.segs.length; i++) {
        const seg = this.segs[i]!;
        seg.flush(false);
        out.push({ path: seg.logPath, optional: false });
        // An index without entries may have no file.
        if (seg.isLoaded)
          out.push({ path: seg.indexPath, optional: true }, { path: seg.timeIndexPath, optional: true });
      }
      if (this.dirDirty) out.push({ path: this.dir, optional: false });
      return out;
    });
    for (const seg of this.segs) seg.close();
    this.closed = true;
    try {
      await Promise.all(paths.map((p) => fsyncs.fsync(p.path, p.optional)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== 'string') throw err;
      this.failure = err as Error;
      this.env.logger.error(
        { dir: this.dir, op: 'close', code, err },
        'storage I/O failed: partition log is now offline',
      );
      this.onFailure?.(this, err as Error);
      throw new KafkaStorageError(`close failed in ${this.dir}: ${code}`, { cause: err });
    }
    this._recoveryPoint = this._logEndOffset;
    this.dirDirty = false;
    this.unsynced = false;
    this.unflushedMessages = 0;
  }

  /** Closes without flushing and removes the partition directory. */
  delete(): void {
    for (const seg of this.segs) seg.close();
    this.closed = true;
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private load(opts: OpenOptions): void {
    // A directory created just now is empty: no listing to read (creating thousands of partitions at once).
    const created = mkdirSync(this.dir, { recursive: true }) !== undefined;
    const logger = this.env.logger;
    const bases: number[] = [];
    const indexFiles: Array<{ base: number; name: string }> = [];
    this._epochs = new LeaderEpochCache(new EpochCheckpointFile(this.dir, logger), logger);
    let names = created ? [] : readdirSync(this.dir);
    if (this.completeCleanerSwaps(names)) names = readdirSync(this.dir);
    for (const name of names) {
      if (LEFTOVER.some((suffix) => name.endsWith(suffix))) {
        unlinkSync(join(this.dir, name));
        continue;
      }
      const m = SEGMENT_FILE.exec(name);
      if (m === null) continue;
      if (m[2] === 'log') bases.push(Number(m[1]));
      else indexFiles.push({ base: Number(m[1]), name });
    }
    bases.sort((a, b) => a - b);
    const known = new Set(bases);
    for (const f of indexFiles) {
      if (!known.has(f.base)) {
        logger.warn({ dir: this.dir, file: f.name }, 'removing index file without a log segment');
        unlinkSync(join(this.dir, f.name));
      }
    }
    this.segs = bases.map((base) => {
      const seg = new Segment(this.dir, base, 0, this.env);
      seg.size = statSync(seg.logPath).size;
      if (seg.size > 0) {
        seg.nextOffset = undefined;
        seg.maxTimestamp = undefined;
      }
      return seg;
    });
    let recovered = false;
    if (this.segs.length === 0) {
      const seg = Segment.create(this.dir, opts.logStartOffset ?? 0, this.env);
      this.segs.push(seg);
      this.dirDirty = true;
    } else if (opts.cleanShutdown) {
      this.segs[this.segs.length - 1]!.loadTail(Number.MAX_SAFE_INTEGER);
      this.unsynced = false;
    } else {
      this.recover(opts.recoveryPoint);
      recovered = true;
    }
    for (let i = 0; i < this.segs.length - 1; i++) {
      const seg = this.segs[i]!;
      if (!existsSync(seg.indexPath) || !existsSync(seg.timeIndexPath)) {
        seg.ensureLoaded(this.upperBound(i));
        this.unsynced = true;
      }
    }
    const last = this.active();
    last.activate();
    last.createdAt = this.firstBatchTime(last);
    this._logEndOffset = last.nextOffset!;
    this._size = this.segs.reduce((n, s) => n + s.size, 0);
    this._logStartOffset = Math.max(opts.logStartOffset ?? 0, this.segs[0]!.baseOffset);
    // The recovery point means "fsynced below here": after a clean shutdown that is everything; after a crash it is
    // what the checkpoint said (recovery validated the rest but did not fsync it).
    this._recoveryPoint = opts.cleanShutdown
      ? this._logEndOffset
      : Math.min(opts.recoveryPoint ?? this._logStartOffset, this._logEndOffset);
    if (this._logStartOffset > this._logEndOffset) {
      logger.warn(
        { dir: this.dir, logStartOffset: this._logStartOffset, logEndOffset: this._logEndOffset },
        'log start offset beyond log end: starting empty at the log start offset',
      );
      this.truncateFullyAndStartAt(this._logStartOffset);
    }
    this.loadEpochs(recovered);
    logger.info(
      {
        dir: this.dir,
        segments: this.segs.length,
        logStartOffset: this._logStartOffset,
        logEndOffset: this._logEndOffset,
        ...(recovered ? { recoveredFrom: opts.recoveryPoint ?? 0 } : {}),
      },
      recovered ? 'log loaded after an unclean shutdown: validated from the recovery point' : 'log loaded',
    );
  }

  /**
   * Finishes cleaner swaps interrupted by a crash. A swap is committed once `<base>.clean-commit` exists; then the
   * old segments in [base, end) are replaced by `<base>.*.cleaned`. Without a commit file, `.cleaned` files are
   * leftovers of an unfinished clean and are removed with the other temporary files. Returns whether it changed
   * the directory.
   */
  private completeCleanerSwaps(names: readonly string[]): boolean {
    let changed = false;
    for (const name of names) {
      if (!name.endsWith(CLEAN_COMMIT_SUFFIX)) continue;
      const base = Number(name.slice(0, 20));
      const commit = join(this.dir, name);
      const [endText, sizeText] = readFileSync(commit, 'utf8').trim().split(' ');
      const end = Number(endText);
      const size = Number(sizeText);
      const prefix = segmentName(base);
      const cleanedLog = join(this.dir, `${prefix}.log${CLEANED_SUFFIX}`);
      if (existsSync(cleanedLog)) {
        if (!Number.isSafeInteger(end) || statSync(cleanedLog).size !== size) {
          throw new CorruptLogError(`cleaner commit ${commit} does not match ${cleanedLog}`);
        }
        this.env.logger.warn({ dir: this.dir, base, end }, 'completing a cleaner segment swap interrupted by a crash');
        for (const other of names) {
          const m = SEGMENT_FILE.exec(other);
          if (m === null) continue;
          const b = Number(m[1]);
          if (b > base && b < end) unlinkSync(join(this.dir, other));
        }
        for (const suffix of ['.index', '.timeindex', '.log']) {
          const from = join(this.dir, `${prefix}${suffix}${CLEANED_SUFFIX}`);
          if (existsSync(from)) renameSync(from, join(this.dir, prefix + suffix));
          else if (suffix !== '.log') rmSync(join(this.dir, prefix + suffix), { force: true });
        }
        fsyncDir(this.dir);
      }
      unlinkSync(commit);
      fsyncDir(this.dir);
      changed = true;
    }
    return changed;
  }

  private recover(recoveryPoint: number | undefined): void {
    const logger = this.env.logger;
    const from = recoveryPoint === undefined ? this.segs.length - 1 : Math.max(0, this.floorIndex(recoveryPoint));
    for (let i = from; i < this.segs.length; i++) {
      const seg = this.segs[i]!;
      const result = seg.recover(seg.baseOffset);
      if (result.problem !== undefined && recoveryPoint !== undefined && seg.nextOffset! < recoveryPoint) {
        // These bytes were fsynced before the recovery point was checkpointed: they cannot be a torn write.
        // Never truncate (that would silently drop acknowledged records) and never serve them: go offline.
        const reason = `corrupt log below the recovery point ${recoveryPoint}: ${result.problem} in ${seg.logPath} at position ${result.validBytes} (expected offset ${seg.nextOffset})`;
        logger.error(
          {
            segment: seg.logPath,
            position: result.validBytes,
            offset: seg.nextOffset,
            recoveryPoint,
            problem: result.problem,
          },
          'CORRUPTION: flushed data failed validation; the partition stays offline (KAFKA_STORAGE_ERROR) until an operator repairs or removes it',
        );
        throw new CorruptLogError(reason);
      }
      if (result.problem !== undefined) {
        logger.warn(
          {
            segment: seg.logPath,
            position: result.validBytes,
            bytesCut: seg.size - result.validBytes,
            reason: result.problem,
          },
          'truncating log segment at the first invalid batch',
        );
        seg.truncateToPosition(result.validBytes, seg.nextOffset!);
        for (const later of this.segs.splice(i + 1)) {
          logger.warn({ segment: later.logPath, size: later.size }, 'deleting segment after a recovery truncation');
          later.markDeleted(0);
        }
        seg.flush(true);
        fsyncDir(this.dir);
      } else {
        // Valid: write the rebuilt indexes; no fsync (the recovery point stays where the checkpoint put it, so
        // these bytes are checked again after another crash). One fsync per partition made 10k-partition starts slow.
        seg.flush(false);
      }
    }
  }

  /**
   * Checks the leader-epoch cache against the loaded log: entries beyond its end or below its start are cut, and a
   * cache that was missing (or, after a crash, lags the log's last batch) is rebuilt from batch headers.
   */
  private loadEpochs(recovered: boolean): void {
    const cache = this._epochs!;
    cache.truncateFromEnd(this._logEndOffset);
    cache.truncateFromStart(this._logStartOffset);
    if (this._logEndOffset <= this._logStartOffset || !(cache.wasMissing || recovered)) return;
    const all = this.segs.map((segment, i) => ({ segment, end: this.upperBound(i) }));
    const lastNonEmpty = all.findLastIndex((s) => s.segment.size > 0);
    const tail = epochsFromSegments(all.slice(lastNonEmpty)).at(-1);
    if (!cache.wasMissing && tail !== undefined && tail.epoch === cache.latestEpoch()) return;
    this.env.logger.warn(
      { dir: this.dir, missing: cache.wasMissing },
      'rebuilding the leader epoch cache from the log',
    );
    cache.rebuild(epochsFromSegments(all));
    cache.truncateFromStart(this._logStartOffset);
  }

  /** Roll timer start for a reopened active segment: its first batch's timestamp, else now. */
  private firstBatchTime(seg: Segment): number {
    const now = this.env.clock();
    if (seg.size === 0) return now;
    const h = seg.window().header(0);
    return h !== undefined && h.maxTimestamp >= 0 ? Math.min(now, h.maxTimestamp) : now;
  }

  private active(): Segment {
    return this.segs[this.segs.length - 1]!;
  }

  /** Index of the segment with the largest base offset <= `offset`, -1 if none. */
  private floorIndex(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segs[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Exclusive upper bound on offsets in segment `i`. */
  private upperBound(i: number): number {
    return i + 1 < this.segs.length ? this.segs[i + 1]!.baseOffset : this._logEndOffset;
  }

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
      this.env.logger.error({ dir: this.dir, op, code, err }, 'storage I/O failed: partition log is now offline');
      if (first) this.onFailure?.(this, err as Error);
      throw new KafkaStorageError(`${op} failed in ${this.dir}: ${code}`, { cause: err });
    }
  }
}
