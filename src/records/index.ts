// Public API of the records module: compression codecs, v2 record batches, legacy message sets.
export type {
  BatchEntry,
  BatchHeader,
  BuildBatchOptions,
  ControlBatchOptions,
  Record,
  RecordHeader,
  RecordInput,
  ValidatedBatch,
  ValidatedBatches,
  ValidateOptions,
} from './batch.ts';
export {
  batches,
  batchRecordsData,
  buildBatch,
  buildControlBatch,
  ControlType,
  computeBatchCrc,
  forEachBatch,
  isBatchCrcValid,
  iterateRecords,
  MIN_BATCH_SIZE,
  NO_TIMESTAMP,
  parseControlRecord,
  readBatchHeader,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  validateProduceRecords,
} from './batch.ts';
export type { CodecId } from './compression.ts';
export { Codec, codecName, compress, compressAsync, decompress, decompressAsync } from './compression.ts';
export { crc32c } from './crc32c.ts';
export type { RecordErrorInfo, RecordsErrorCodeValue } from './errors.ts';
export { RecordsError, RecordsErrorCode, RecordValidationError } from './errors.ts';
export type {
  BuildMessageSetOptions,
  ConvertOptions,
  LegacyMessage,
  LegacyMessageInput,
  ParseMessageSetOptions,
} from './legacy.ts';
export { buildMessageSet, convertMessageSetToBatch, downConvertBatches, parseMessageSet } from './legacy.ts';
export { xxh32 } from './xxh32.ts';
