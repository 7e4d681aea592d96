// The mutable state of one partition log (its segments and offsets) and the lookups every part of the log uses.
// PartitionLog (partition-log.ts: state, append, roll, flush, truncation, lifecycle) owns one LogState and lends it
// to the read path (log-read.ts), retention and the cleaner's segment swap (log-retention.ts) and loading and
// recovery (log-load.ts), which are plain functions over it.
import type { LogConfig } from './config.ts';
import type { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { Segment, SegmentEnv } from './segment.ts';

/** Marks a cleaner swap as committed: `<base>.clean-commit` holds the group's end offset and cleaned size. */
export const CLEAN_COMMIT_SUFFIX = '.clean-commit';

export interface LogState {
  readonly dir: string;
  config: LogConfig;
  readonly env: SegmentEnv;
  /** Segments by base offset; the last one is the active segment. */
  segs: Segment[];
  logStartOffset: number;
  logEndOffset: number;
  /** The stored high watermark (PartitionLog.highWatermark is the LEO while `hwFollowsLeo`). */
  highWatermark: number;
  recoveryPoint: number;
  /** Total bytes of all segment files. */
  size: number;
  unflushedMessages: number;
  lastFlushTime: number;
  dirDirty: boolean;
  /** Files changed without an fsync in ways the recovery point does not show (recovery, truncation, cleaning). */
  unsynced: boolean;
  /** Bumped by every truncation (a background flush started before it must not advance the recovery point). */
  truncations: number;
  epochs: LeaderEpochCache | undefined;
}

export function active(s: LogState): Segment {
  return s.segs[s.segs.length - 1]!;
}

/** Index of the segment with the largest base offset <= `offset`, -1 if none. */
export function floorIndex(s: LogState, offset: number): number {
  let lo = 0;
  let hi = s.segs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (s.segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Exclusive upper bound on offsets in segment `i`. */
export function upperBound(s: LogState, i: number): number {
  return i + 1 < s.segs.length ? s.segs[i + 1]!.baseOffset : s.logEndOffset;
}

/** Takes a segment out of the log's size and deletes its files (after `delayMs`, Kafka's file.delete.delay.ms). */
export function removeSegment(s: LogState, seg: Segment, delayMs: number): void {
  s.size -= seg.size;
  seg.markDeleted(delayMs);
  s.dirDirty = true;
}

/** What the parts of the log outside PartitionLog get: its state and the few operations they call back into. */
export interface LogOps {
  readonly s: LogState;
  /** Runs an I/O step: a filesystem error takes the log offline and surfaces as KAFKA_STORAGE_ERROR. */
  io<T>(op: string, fn: () => T): T;
  highWatermark(): number;
  /** Starts a new active segment (no-op when the active one is empty). */
  rollNow(): void;
  truncateFullyAndStartAt(offset: number): void;
}
