export { defaultLogConfig, type LogConfig, type TimestampType } from './config.ts';
export { ErrorCode, KafkaStorageError, OffsetOutOfRangeError, StorageError } from './errors.ts';
export { type HostedLog, LogManager, type LogManagerOptions, parsePartitionDir } from './log-manager.ts';
export { FdCache, type StorageCaches, sharedCaches, UnloadCache } from './lru.ts';
export {
  type AppendResult,
  type BatchInfo,
  type DeletedSegment,
  type OpenOptions,
  PartitionLog,
  type ReadResult,
  type SegmentInfo,
  type StorageLogger,
} from './partition-log.ts';
