// Per-partition log configuration. A plain object: the broker builds it from topic configs and may replace it at
// runtime with `PartitionLog.updateConfig`.

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** Roll the active segment when an append would make it larger than this. Must fit an int32 file position. */
  segmentBytes: number;
  /** Roll the active segment when it is older than this. */
  segmentMs: number;
  /** A random amount in [0, segmentJitterMs) subtracted from segmentMs, chosen per segment. */
  segmentJitterMs?: number;
  /** Bytes of batches between two offset-index entries. */
  indexIntervalBytes: number;
  /** Maximum size of one index file; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** Delete segments whose largest timestamp is older than this; -1 = unlimited. */
  retentionMs: number;
  /** Delete old segments while the log is larger than this; -1 = unlimited. */
  retentionBytes: number;
  /** fsync after this many unflushed messages; Number.MAX_SAFE_INTEGER leaves it to the OS. */
  flushMessages: number;
  /** fsync when the last flush is older than this (checked by `flushIfDue`). */
  flushMs: number;
  /** Delay between renaming a deleted segment to `.deleted` and removing its files. */
  fileDeleteDelayMs: number;
  messageTimestampType?: TimestampType;
  /** cleanup.policy contains `delete`: retention.ms / retention.bytes apply (default true). */
  deleteEnabled?: boolean;
  /** cleanup.policy contains `compact`: the cleaner keeps the latest record per key (default false). */
  compact?: boolean;
  /** How long tombstones stay readable after the cleaner first sees them (delete.retention.ms). */
  deleteRetentionMs?: number;
  /** Clean only when dirty bytes / (clean + dirty bytes) reaches this (min.cleanable.dirty.ratio). */
  minCleanableDirtyRatio?: number;
  /** Records younger than this stay uncompacted (min.compaction.lag.ms). */
  minCompactionLagMs?: number;
}

export const MAX_SEGMENT_BYTES = 0x7fffffff;

/** Kafka's defaults. */
export function defaultLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    segmentBytes: 1024 * 1024 * 1024,
    segmentMs: 7 * 24 * 3600 * 1000,
    segmentJitterMs: 0,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10 * 1024 * 1024,
    retentionMs: 7 * 24 * 3600 * 1000,
    retentionBytes: -1,
    flushMessages: Number.MAX_SAFE_INTEGER,
    flushMs: Number.MAX_SAFE_INTEGER,
    fileDeleteDelayMs: 60_000,
    messageTimestampType: 'CreateTime',
    deleteEnabled: true,
    compact: false,
    deleteRetentionMs: 24 * 3600 * 1000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    ...overrides,
  };
}
