// Deleting old data from a partition log: DeleteRecords (log start offset), retention.ms / retention.bytes of whole
// segments, and the log cleaner's view of sealed segments with the crash-safe swap of its output (cleaner.ts
// does the cleaning). Plain functions over the log's state (log-state.ts); PartitionLog checks the log is usable.
import { closeSync, openSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../util/assert.ts';
import { OffsetOutOfRangeError } from './errors.ts';
import { fsyncDir, fsyncFd, writeFully } from './file-io.ts';
import { CLEAN_COMMIT_SUFFIX, type LogOps, removeSegment, upperBound } from './log-state.ts';
import type { CleanableSegment, CleanedSegment, DeletedSegment } from './partition-log.ts';
import { CLEANED_SUFFIX, Segment, segmentName } from './segment.ts';

/** DeleteRecords: advances the log start offset and deletes segments wholly below it. */
export function deleteRecordsBefore(log: LogOps, offset: number): DeletedSegment[] {
  const s = log.s;
  if (offset > log.highWatermark() || offset < 0) {
    throw new OffsetOutOfRangeError(`cannot delete records before ${offset}: high watermark is ${log.highWatermark()}`);
  }
  if (offset <= s.logStartOffset) return [];
  s.logStartOffset = offset;
  return log.io('deleteRecords', () => {
    s.epochs!.truncateFromStart(offset);
    return deleteLogStartBreached(log);
  });
}

function deleteLogStartBreached(log: LogOps): DeletedSegment[] {
  const s = log.s;
  return deleteOldSegments(
    log,
    (_s, i) => i + 1 < s.segs.length && s.segs[i + 1]!.baseOffset <= s.logStartOffset,
    'log start offset',
  );
}

/** retention.ms, retention.bytes and log-start-offset deletion of whole old segments. */
export function applyRetention(log: LogOps, now: number): DeletedSegment[] {
  const s = log.s;
  return log.io('retention', () => {
    const deleted: DeletedSegment[] = [];
    const { retentionMs, retentionBytes } = s.config;
    const deleteEnabled = s.config.deleteEnabled !== false;
    if (deleteEnabled && retentionMs >= 0) {
      deleted.push(
        ...deleteOldSegments(
          log,
          (seg, i) => now - seg.largestTimestamp(upperBound(s, i)) > retentionMs,
          `retention.ms ${retentionMs}`,
        ),
      );
    }
    if (deleteEnabled && retentionBytes >= 0) {
      let diff = s.size - retentionBytes;
      deleted.push(
        ...deleteOldSegments(
          log,
          (s) => {
            if (diff - s.size < 0) return false;
            diff -= s.size;
            return true;
          },
          `retention.bytes ${retentionBytes}`,
        ),
      );
    }
    deleted.push(...deleteLogStartBreached(log));
    return deleted;
  });
}

/**
 * Deletes the longest prefix of segments matching `predicate` that lies below the high watermark. When that is
 * every segment, rolls first so an empty active segment remains (as Kafka does).
 */
function deleteOldSegments(
  log: LogOps,
  predicate: (seg: Segment, i: number) => boolean,
  reason: string,
): DeletedSegment[] {
  const s = log.s;
  let count = 0;
  while (count < s.segs.length) {
    const seg = s.segs[count]!;
    const isLast = count === s.segs.length - 1;
    if (upperBound(s, count) > log.highWatermark()) break;
    if (isLast && seg.size === 0) break;
    if (!predicate(seg, count)) break;
    count++;
  }
  if (count === 0) return [];
  if (count === s.segs.length) log.rollNow();
  const victims = s.segs.splice(0, count);
  const out: DeletedSegment[] = [];
  for (const seg of victims) {
    out.push({ baseOffset: seg.baseOffset, size: seg.size, reason });
    s.env.logger.info({ dir: s.dir, segment: seg.baseOffset, size: seg.size, reason }, 'deleting segment');
    removeSegment(s, seg, s.config.fileDeleteDelayMs);
  }
  s.logStartOffset = Math.max(s.logStartOffset, s.segs[0]!.baseOffset);
  s.highWatermark = Math.max(s.highWatermark, s.logStartOffset);
  s.epochs!.truncateFromStart(s.logStartOffset);
  return out;
}

/** Every sealed (non-active) segment with its offset bounds, oldest first. */
export function cleanerSegments(log: LogOps): CleanableSegment[] {
  const s = log.s;
  const out: CleanableSegment[] = [];
  for (let i = 0; i < s.segs.length - 1; i++) {
    const seg = s.segs[i]!;
    out.push({ segment: seg, baseOffset: seg.baseOffset, end: upperBound(s, i), size: seg.size });
  }
  return out;
}

/** Largest timestamp of a sealed segment (min.compaction.lag.ms). */
export function segmentLargestTimestamp(log: LogOps, c: CleanableSegment): number {
  return log.io('largestTimestamp', () => c.segment.largestTimestamp(c.end));
}

/**
 * Replaces `group` (consecutive sealed segments covering [group[0].base, end)) with the cleaner's output in
 * `<base>.{log,index,timeindex}.cleaned`. Atomic across crashes: `<base>.clean-commit` (end offset and size) is
 * made durable first, and a load finishes a committed swap. Returns false, touching nothing, when the log's
 * segments changed since the cleaner read them (retention, truncation): the caller discards its output.
 */
export function replaceSegments(log: LogOps, group: Segment[], end: number, cleaned: CleanedSegment): boolean {
  const s = log.s;
  const i = s.segs.indexOf(group[0]!);
  if (i < 0 || i + group.length >= s.segs.length) return false;
  for (let k = 0; k < group.length; k++) if (s.segs[i + k] !== group[k]) return false;
  if (upperBound(s, i + group.length - 1) !== end) return false;
  return log.io('cleaner swap', () => {
    const base = group[0]!.baseOffset;
    const prefix = join(s.dir, segmentName(base));
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
    fsyncDir(s.dir);
    // Committed: from here a crash is finished by completeCleanerSwaps at the next load.
    for (const seg of group) seg.close();
    for (const seg of group.slice(1)) {
      for (const p of [seg.logPath, seg.indexPath, seg.timeIndexPath]) rmSync(p, { force: true });
    }
    for (const suffix of ['.index', '.timeindex', '.log']) {
      renameSync(`${prefix}${suffix}${CLEANED_SUFFIX}`, prefix + suffix);
    }
    fsyncDir(s.dir);
    unlinkSync(commit);
    fsyncDir(s.dir);
    const seg = new Segment(s.dir, base, cleaned.size, s.env);
    seg.maxTimestamp = cleaned.maxTimestamp;
    seg.offsetOfMaxTimestamp = cleaned.offsetOfMaxTimestamp;
    let removed = 0;
    for (const g of group) removed += g.size;
    s.segs.splice(i, group.length, seg);
    s.size += cleaned.size - removed;
    return true;
  });
}
