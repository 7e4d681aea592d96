// The log cleaner: compaction of `cleanup.policy=compact` (and `compact,delete`) partition logs, after Kafka's
// LogCleaner. It keeps the latest record per key in the cleanable part of the log (sealed segments below the high
// watermark and older than min.compaction.lag.ms), keeps every kept record's offset (batches are rebuilt with gaps:
// same base offset, lastOffsetDelta, producer id/epoch/base sequence), keeps control batches, and removes
// tombstones once their batch's delete horizon (set to now + delete.retention.ms the first time the cleaner
// rewrites it, KIP-534) has passed. Only data below the recovery point (already fsynced) is cleaned.
//
// Node is single-threaded, so a cleaning pass is a generator that does a bounded amount of work per step; `tick`
// runs steps for a few milliseconds and returns, so produce and fetch are never blocked for long. Output goes to
// `<base>.*.cleaned` and is swapped in atomically by PartitionLog.replaceSegments. Progress (the first dirty offset
// of every compacted log) is kept in `<log.dir>/cleaner-offset-checkpoint`.
import { closeSync, fdatasyncSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchHeader, Record } from '../records/batch.ts';
import { buildBatch, iterateRecords, readBatchHeader } from '../records/batch.ts';
import { ATTRIBUTES, BASE_TIMESTAMP, CRC, HEADER_SIZE, MAX_TIMESTAMP } from '../records/batch-layout.ts';
import { crc32c } from '../records/crc32c.ts';
import { partitionKey, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { MAX_SEGMENT_BYTES } from './config.ts';
import { StorageError } from './errors.ts';
import { FileWindow, fsyncFd, writeFully, writeInt64 } from './file-io.ts';
import { OFFSET_ENTRY_SIZE, OffsetIndex, TIME_ENTRY_SIZE, TimeIndex } from './indexes.ts';
import type { HostedLog } from './log-manager.ts';
import type { CleanableSegment, PartitionLog } from './partition-log.ts';
import { CLEANED_SUFFIX, type StorageLogger, segmentName } from './segment.ts';

export const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';

export interface CleanerOptions {
  /** The logs to consider (the LogManager's). */
  logs: () => HostedLog[];
  logger?: StorageLogger;
  clock?: () => number;
  /** Most distinct keys one pass maps (bounds memory); the pass cleans up to the last segment that fit. */
  maxMapEntries?: number;
  /** Minimum time between two scans for a log that needs cleaning. */
  checkIntervalMs?: number;
}

export interface LogStats {
  firstDirty: number;
  firstUncleanable: number;
  cleanBytes: number;
  dirtyBytes: number;
  ratio: number;
}

export interface PassResult {
  topic: string;
  partition: number;
  endOffset: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  aborted?: string;
}

const nullLogger: StorageLogger = { info() {}, warn() {}, error() {} };
const SCAN_CHUNK = 1024 * 1024;
const WRITE_CHUNK = 256 * 1024;
const SYNC_EVERY = 8 * 1024 * 1024;

/** Decision for one record during cleaning. */
export interface RecordFilter {
  /** Keep the record? (`tombstone`: its value is null.) */
  keep(record: Record, header: BatchHeader): boolean;
}

/**
 * Filters one stored batch. Returns the batch unchanged (same buffer), a rebuilt batch with the kept records
 * (original offsets, producer fields, lastOffsetDelta), or null to drop it. `setHorizon` (a time) marks batches
 * holding tombstones that have no delete horizon yet. `keepEmpty` retains an emptied batch as a header (the last
 * batch of an idempotent producer, so its sequence state survives).
 */
export function filterBatch(
  batch: Buffer,
  filter: RecordFilter,
  opts: { setHorizon: number; keepEmpty: boolean },
): { out: Buffer | null; removed: number; tombstonesRemoved: number; horizon: number | undefined } {
  const h = readBatchHeader(batch, 0);
  if (h.isControl) return { out: batch, removed: 0, tombstonesRemoved: 0, horizon: undefined };
  const kept: Record[] = [];
  let removed = 0;
  let tombstonesRemoved = 0;
  let hasTombstone = false;
  for (const r of iterateRecords(batch)) {
    if (filter.keep(r, h)) {
      kept.push(r);
      if (r.value === null) hasTombstone = true;
    } else {
      removed++;
      if (r.value === null) tombstonesRemoved++;
    }
  }
  const needHorizon = hasTombstone && !h.hasDeleteHorizon;
  const horizon = h.hasDeleteHorizon ? h.baseTimestamp : needHorizon ? opts.setHorizon : undefined;
  if (removed === 0 && !needHorizon) {
    return { out: batch, removed, tombstonesRemoved, horizon: hasTombstone ? horizon : undefined };
  }
  if (kept.length === 0 && !opts.keepEmpty) return { out: null, removed, tombstonesRemoved, horizon: undefined };
  const out = buildBatch({
    baseOffset: h.baseOffset,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: h.compression,
    timestampType: h.timestampType,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    isTransactional: h.isTransactional,
    deleteHorizonMs: hasTombstone ? horizon : undefined,
    lastOffsetDelta: h.lastOffsetDelta,
    now: h.maxTimestamp,
    records: kept.map((r) => ({
      timestamp: r.timestamp,
      key: r.key,
      value: r.value,
      headers: r.headers,
      offsetDelta: r.offset - h.baseOffset,
    })),
  });
  if (kept.length === 0) {
    // An empty batch keeps the original timestamps (as Kafka does).
    writeInt64(out, BASE_TIMESTAMP, h.baseTimestamp);
    writeInt64(out, MAX_TIMESTAMP, h.maxTimestamp);
    out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  }
  return { out, removed, tombstonesRemoved, horizon: hasTombstone ? horizon : undefined };
}

/** Writes a cleaned segment `<base>.*.cleaned` with Kafka's sparse index rule. */
class CleanedWriter {
  readonly prefix: string;
  private readonly fd: number;
  private readonly offsetIndex: OffsetIndex;
  private readonly timeIndex: TimeIndex;
  private readonly indexInterval: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private unsynced = 0;
  size = 0;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  private bytesSinceIndex = 0;

  constructor(dir: string, base: number, indexInterval: number, indexBytes: number) {
    this.prefix = join(dir, segmentName(base));
    this.fd = openSync(`${this.prefix}.log${CLEANED_SUFFIX}`, 'w');
    this.offsetIndex = new OffsetIndex(
      `${this.prefix}.index${CLEANED_SUFFIX}`,
      base,
      Math.max(1, Math.floor(indexBytes / OFFSET_ENTRY_SIZE)),
    );
    this.timeIndex = new TimeIndex(
      `${this.prefix}.timeindex${CLEANED_SUFFIX}`,
      base,
      Math.max(1, Math.floor(indexBytes / TIME_ENTRY_SIZE)),
    );
    this.indexInterval = indexInterval;
  }

  append(batch: Buffer): void {
    const h = readBatchHeader(batch, 0);
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    if (h.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = h.maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndex > this.indexInterval && !this.offsetIndex.isFull) {
      this.offsetIndex.append(lastOffset, this.size);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += batch.length;
    this.pending.push(batch);
    this.pendingBytes += batch.length;
    this.size += batch.length;
    if (this.pendingBytes >= WRITE_CHUNK) this.drain();
  }

  private drain(): void {
    if (this.pendingBytes === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    writeFully(this.fd, buf, this.written);
    this.written += buf.length;
    this.unsynced += buf.length;
    this.pending = [];
    this.pendingBytes = 0;
    // Sync as we go, so the final fsync before the swap is short.
    if (this.unsynced >= SYNC_EVERY) {
      fdatasyncSync(this.fd);
      this.unsynced = 0;
    }
  }

  /** Writes everything, the indexes too, and fsyncs them. */
  finish(): void {
    this.drain();
    fsyncFd(this.fd);
    closeSync(this.fd);
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.offsetIndex.persist(true);
    this.timeIndex.persist(true);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    for (const s of ['.log', '.index', '.timeindex']) rmSync(`${this.prefix}${s}${CLEANED_SUFFIX}`, { force: true });
  }
}

/** Reads the batches of a sealed segment through its own fd (never the shared cache, which may close it). */
class SegmentReader {
  private readonly fd: number;
  private readonly w: FileWindow;
  private pos = 0;
  readonly size: number;
  readonly path: string;

  constructor(c: CleanableSegment) {
    this.path = c.segment.logPath;
    this.size = c.size;
    this.fd = openSync(this.path, 'r');
    this.w = new FileWindow(this.fd, c.size, SCAN_CHUNK);
  }

  /** The next whole batch (a view valid until the next call), or undefined at the end. Throws on a bad CRC. */
  next(): Buffer | undefined {
    if (this.pos + HEADER_SIZE > this.size) return undefined;
    const h = this.w.header(this.pos);
    if (h === undefined) return undefined;
    const at = this.w.view(this.pos, h.size);
    if (at < 0 || h.size < HEADER_SIZE)
      throw new CorruptBatch(`bad batch framing at position ${this.pos} of ${this.path}`);
    const view = this.w.buf.subarray(at, at + h.size);
    if (view.readUInt32BE(CRC) !== crc32c(view.subarray(ATTRIBUTES))) {
      throw new CorruptBatch(`CRC mismatch in the batch at offset ${h.baseOffset} of ${this.path}`);
    }
    this.pos += h.size;
    return view;
  }

  close(): void {
    closeSync(this.fd);
  }
}

class CorruptBatch extends Error {}

class PassAborted extends Error {}

export class LogCleaner {
  private readonly opts: CleanerOptions;
  private readonly logger: StorageLogger;
  private readonly clock: () => number;
  private readonly checkpoints = new Map<string, Map<string, number>>();
  /** Earliest delete horizon of tombstones kept by the last pass, per log: a pass is due then. */
  private readonly horizons = new WeakMap<PartitionLog, number>();
  private readonly lastCheck = new WeakMap<PartitionLog, number>();
  private current: { hosted: HostedLog; gen: Generator<void, PassResult> } | undefined;
  private stopped = false;
  /** Results of finished passes (most recent last, bounded), for tests and metrics. */
  readonly history: PassResult[] = [];

  constructor(opts: CleanerOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? nullLogger;
    this.clock = opts.clock ?? Date.now;
  }

  /** The first dirty offset the cleaner has recorded for a log. */
  firstDirtyOffset(h: HostedLog): number {
    const cp = this.dirCheckpoint(h.logDir).get(partitionKey(h.topic, h.partition));
    const log = h.log;
    if (cp === undefined || cp < log.logStartOffset || cp > log.logEndOffset) return log.logStartOffset;
    return cp;
  }

  private dirCheckpoint(logDir: string): Map<string, number> {
    let m = this.checkpoints.get(logDir);
    if (m === undefined) {
      m = readCheckpoint(join(logDir, CLEANER_CHECKPOINT), this.logger);
      this.checkpoints.set(logDir, m);
    }
    return m;
  }

  /** Cleanable range and dirty ratio of a compacted log. */
  stats(h: HostedLog, now: number): LogStats & { segments: CleanableSegment[] } {
    const log = h.log;
    const cfg = log.currentConfig;
    const segments = log.cleanerSegments();
    const hw = log.highWatermark;
    const lag = cfg.minCompactionLagMs ?? 0;
    let firstUncleanable = segments.length > 0 ? segments[segments.length - 1]!.end : log.logEndOffset;
    for (const s of segments) {
      // Only fsynced data (below the recovery point) is cleaned: a record is never removed because of a newer
      // one that a power loss could still take away.
      if (s.end > hw || s.end > log.recoveryPoint || (lag > 0 && log.segmentLargestTimestamp(s) > now - lag)) {
        firstUncleanable = s.baseOffset;
        break;
      }
    }
    if (segments.length === 0) firstUncleanable = log.logStartOffset;
    const firstDirty = Math.min(this.firstDirtyOffset(h), firstUncleanable);
    let cleanBytes = 0;
    let dirtyBytes = 0;
    for (const s of segments) {
      if (s.end <= log.logStartOffset) continue;
      if (s.end <= firstDirty) cleanBytes += s.size;
      else if (s.end <= firstUncleanable) dirtyBytes += s.size;
    }
    const total = cleanBytes + dirtyBytes;
    return {
      firstDirty,
      firstUncleanable,
      cleanBytes,
      dirtyBytes,
      ratio: total === 0 ? 0 : dirtyBytes / total,
      segments,
    };
  }

  /** The compacted log most in need of cleaning (highest dirty ratio above its threshold, or a horizon due). */
  private pick(now: number, force: boolean): HostedLog | undefined {
    let best: { h: HostedLog; score: number } | undefined;
    const interval = this.opts.checkIntervalMs ?? 1000;
    for (const h of this.opts.logs()) {
      const log = h.log;
      if (log.isOffline || log.isClosed || log.currentConfig.compact !== true) continue;
      if (!force && now - (this.lastCheck.get(log) ?? -Infinity) < interval) continue;
      this.lastCheck.set(log, now);
      try {
        const st = this.stats(h, now);
        const horizonDue = (this.horizons.get(log) ?? Infinity) <= now;
        const min = log.currentConfig.minCleanableDirtyRatio ?? 0.5;
        let score = -1;
        if (st.dirtyBytes > 0 && st.ratio >= min) score = st.ratio;
        else if (horizonDue && st.firstUncleanable > log.logStartOffset) score = 0;
        if (score >= 0 && (best === undefined || score > best.score)) best = { h, score };
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
      }
    }
    return best?.h;
  }

  /**
   * Does up to `budgetMs` of cleaning work: continues the current pass or starts one on the filthiest log.
   * Returns the passes that finished.
   */
  tick(budgetMs = 10): PassResult[] {
    const done: PassResult[] = [];
    if (this.stopped) return done;
    const start = performance.now();
    const now = this.clock();
    let picked = false;
    while (performance.now() - start < budgetMs) {
      if (this.current === undefined) {
        if (picked) break;
        picked = true;
        const h = this.pick(now, false);
        if (h === undefined) break;
        this.current = { hosted: h, gen: this.pass(h, now) };
      }
      const r = this.step();
      if (r !== undefined) done.push(r);
    }
    return done;
  }

  /** Runs passes to completion until no log needs cleaning (tests, benchmarks). */
  cleanAll(maxPasses = 100): PassResult[] {
    const out: PassResult[] = [];
    for (let i = 0; i < maxPasses; i++) {
      if (this.current === undefined) {
        const now = this.clock();
        const h = this.pick(now, true);
        if (h === undefined) break;
        this.current = { hosted: h, gen: this.pass(h, now) };
      }
      let r: PassResult | undefined;
      while (r === undefined) r = this.step();
      out.push(r);
    }
    return out;
  }

  /** Cleans one log fully now, whatever its dirty ratio (tests). */
  cleanLog(h: HostedLog): PassResult {
    const gen = this.pass(h, this.clock());
    this.current = { hosted: h, gen };
    let r: PassResult | undefined;
    while (r === undefined) r = this.step();
    return r;
  }

  private step(): PassResult | undefined {
    const cur = this.current!;
    let r: IteratorResult<void, PassResult>;
    try {
      r = cur.gen.next();
    } catch (err) {
      this.current = undefined;
      const h = cur.hosted;
      if (err instanceof CorruptBatch) {
        h.log.markCorrupt(err.message);
      } else if (!(err instanceof StorageError || err instanceof PassAborted)) {
        const code = (err as NodeJS.ErrnoException).code;
        if (typeof code !== 'string') throw err;
        this.logger.error({ topic: h.topic, partition: h.partition, err }, 'log cleaner I/O failed');
      }
      const res: PassResult = {
        topic: h.topic,
        partition: h.partition,
        endOffset: -1,
        bytesBefore: 0,
        bytesAfter: 0,
        recordsRemoved: 0,
        tombstonesRemoved: 0,
        aborted: (err as Error).message,
      };
      this.record(res);
      return res;
    }
    if (!r.done) return undefined;
    this.current = undefined;
    this.record(r.value);
    return r.value;
  }

  private record(r: PassResult): void {
    this.history.push(r);
    if (this.history.length > 100) this.history.shift();
  }

  /** One cleaning pass over a log, yielding after every batch so the caller can bound each slice. */
  private *pass(h: HostedLog, now: number): Generator<void, PassResult> {
    const log = h.log;
    const cfg = log.currentConfig;
    const st = this.stats(h, now);
    const result: PassResult = {
      topic: h.topic,
      partition: h.partition,
      endOffset: st.firstDirty,
      bytesBefore: 0,
      bytesAfter: 0,
      recordsRemoved: 0,
      tombstonesRemoved: 0,
    };
    const segments = st.segments.filter((s) => s.end > log.logStartOffset && s.end <= st.firstUncleanable);
    if (segments.length === 0) return result;

    // 1. Map: key -> latest offset over the dirty range; last batch offset of every producer id.
    const map = new Map<string, number>();
    const producerLast = new Map<number, number>();
    const maxEntries = this.opts.maxMapEntries ?? 1_000_000;
    let endOffset = st.firstDirty;
    for (const s of segments) {
      const dirty = s.end > st.firstDirty;
      if (dirty && map.size >= maxEntries && endOffset > st.firstDirty) break;
      const reader = new SegmentReader(s);
      try {
        for (let b = reader.next(); b !== undefined; b = reader.next()) {
          const hdr = readBatchHeader(b, 0);
          const last = hdr.baseOffset + hdr.lastOffsetDelta;
          if (hdr.producerId >= 0)
            producerLast.set(hdr.producerId, Math.max(producerLast.get(hdr.producerId) ?? -1, last));
          if (dirty && !hdr.isControl && last >= st.firstDirty) {
            for (const r of iterateRecords(b)) {
              if (r.offset >= st.firstDirty && r.key !== null) map.set(r.key.toString('latin1'), r.offset);
            }
          }
          yield;
        }
      } finally {
        reader.close();
      }
      if (dirty) endOffset = s.end;
    }
    result.endOffset = endOffset;

    // 2. Clean every segment below endOffset, in groups that fit one segment.
    const setHorizon = now + (cfg.deleteRetentionMs ?? 86_400_000);
    let earliestHorizon = Infinity;
    const filter: RecordFilter = {
      keep: (r, hdr) => {
        if (r.key === null) return false; // a compacted topic keeps only keyed records
        const latest = map.get(r.key.toString('latin1'));
        if (latest !== undefined && r.offset < latest) return false;
        if (r.value === null && hdr.hasDeleteHorizon && hdr.baseTimestamp <= now) return false;
        return true;
      },
    };
    const toClean = segments.filter((s) => s.end <= endOffset);
    const maxBytes = Math.min(cfg.segmentBytes, MAX_SEGMENT_BYTES);
    const groups: CleanableSegment[][] = [];
    for (const s of toClean) {
      const g = groups[groups.length - 1];
      if (
        g !== undefined &&
        g.reduce((n, x) => n + x.size, 0) + s.size <= maxBytes &&
        s.end - g[0]!.baseOffset - 1 <= 0x7fffffff
      ) {
        g.push(s);
      } else groups.push([s]);
    }
    for (const group of groups) {
      const base = group[0]!.baseOffset;
      const writer = new CleanedWriter(log.dir, base, cfg.indexIntervalBytes, cfg.segmentIndexBytes);
      let changed = group.length > 1;
      let before = 0;
      let swapping = false;
      try {
        for (const s of group) {
          before += s.size;
          const reader = new SegmentReader(s);
          try {
            for (let b = reader.next(); b !== undefined; b = reader.next()) {
              const hdr = readBatchHeader(b, 0);
              const last = hdr.baseOffset + hdr.lastOffsetDelta;
              const keepEmpty = hdr.producerId >= 0 && (producerLast.get(hdr.producerId) ?? last) <= last;
              const f = filterBatch(b, filter, { setHorizon, keepEmpty });
              result.recordsRemoved += f.removed;
              result.tombstonesRemoved += f.tombstonesRemoved;
              if (f.horizon !== undefined) earliestHorizon = Math.min(earliestHorizon, f.horizon);
              if (f.out !== b) changed = true;
              if (f.out !== null) writer.append(f.out === b ? Buffer.from(b) : f.out);
              yield;
            }
          } finally {
            reader.close();
          }
        }
        result.bytesBefore += before;
        if (!changed) {
          writer.abort();
          result.bytesAfter += before;
          continue;
        }
        writer.finish();
        if (log.isOffline || log.isClosed) throw new PassAborted('log went offline or was closed');
        // From here the files may belong to a committed swap: a failure leaves them for the next load to finish.
        swapping = true;
        const swapped = log.replaceSegments(
          group.map((s) => s.segment),
          group[group.length - 1]!.end,
          { size: writer.size, maxTimestamp: writer.maxTimestamp, offsetOfMaxTimestamp: writer.offsetOfMaxTimestamp },
        );
        if (!swapped) {
          swapping = false;
          writer.abort();
          throw new PassAborted('segments changed during cleaning');
        }
        result.bytesAfter += writer.size;
      } catch (err) {
        if (!swapping) writer.abort();
        throw err;
      }
      yield;
    }

    // 3. Remember progress.
    if (earliestHorizon !== Infinity) this.horizons.set(log, earliestHorizon);
    else this.horizons.delete(log);
    this.dirCheckpoint(h.logDir).set(partitionKey(h.topic, h.partition), endOffset);
    this.writeCheckpoint(h.logDir);
    this.logger.info(
      {
        topic: h.topic,
        partition: h.partition,
        endOffset,
        bytesBefore: result.bytesBefore,
        bytesAfter: result.bytesAfter,
        recordsRemoved: result.recordsRemoved,
        tombstonesRemoved: result.tombstonesRemoved,
      },
      'log cleaned',
    );
    return result;
  }

  /** Writes `cleaner-offset-checkpoint` for one log dir, for the logs it still hosts. */
  private writeCheckpoint(logDir: string): void {
    const m = this.dirCheckpoint(logDir);
    const hosted = this.opts.logs().filter((h) => h.logDir === logDir);
    const entries = hosted.flatMap((h) => {
      const v = m.get(partitionKey(h.topic, h.partition));
      return v === undefined ? [] : [{ topic: h.topic, partition: h.partition, offset: v }];
    });
    writeCheckpoint(join(logDir, CLEANER_CHECKPOINT), entries);
  }

  /** Forgets a deleted log's progress. */
  forget(h: HostedLog): void {
    this.dirCheckpoint(h.logDir).delete(partitionKey(h.topic, h.partition));
    if (this.current?.hosted.log === h.log) this.current = undefined;
  }

  /** Stops cleaning; an unfinished pass leaves only `.cleaned` files, removed at the next load. */
  stop(): void {
    this.stopped = true;
    if (this.current !== undefined) {
      try {
        this.current.gen.return(undefined as never);
      } catch {
        // the generator's finally blocks closed its files
      }
      this.current = undefined;
    }
  }
}
