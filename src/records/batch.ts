// Record batches (magic 2): header views, produce validation, in-place header rewrites, record iteration and
// building. Header reads and validation work on the producer's bytes; only iteration/building allocate records.
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CRC,
  HEADER_SIZE,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS,
  RECORDS_COUNT,
} from './batch-layout.ts';
import { compress, decompress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import {
  corrupt,
  invalidRecord,
  type RecordErrorInfo,
  RecordsError,
  RecordsErrorCode,
  RecordValidationError,
} from './errors.ts';
import {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from './varint.ts';

/** Timestamp of records written without one (magic 0 messages, up-converted). */
export const NO_TIMESTAMP = -1;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  /** 0 CreateTime, 1 LogAppendTime. */
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Minimum size of a whole batch (header without records). */
export const MIN_BATCH_SIZE = HEADER_SIZE;

function readInt64(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64BE(pos));
}

function writeInt64(buf: Buffer, pos: number, value: number): void {
  buf.writeBigInt64BE(BigInt(value), pos);
}

/** Reads the header of the batch at `pos`; the caller ensures HEADER_SIZE bytes are there. */
export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  if (pos + HEADER_SIZE > buf.length) throw corrupt(`Batch header at ${pos} runs past the end of the buffer`);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + MAGIC),
    crc: buf.readUInt32BE(pos + CRC),
    attributes,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 1 : 0,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP),
    producerId: readInt64(buf, pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + RECORDS_COUNT),
  };
}

/** CRC32C the batch at `pos` (of `size` bytes) should carry. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES, pos + size));
}

/** Whether the stored CRC of the batch at `pos` matches its content. */
export function isBatchCrcValid(buf: Buffer, pos: number): boolean {
  const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  return buf.readUInt32BE(pos + CRC) === computeBatchCrc(buf, pos, size);
}

function rewriteCrc(buf: Buffer, pos: number): void {
  const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + CRC);
}

/** Rewrites the base offset in place (outside the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET, offset);
}

/** Rewrites the partition leader epoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH);
}

/**
 * Sets the max timestamp and timestamp type of the batch at `pos` and recomputes its CRC, unless both already
 * hold those values (then the bytes are untouched). Returns whether the batch changed.
 */
export function setMaxTimestamp(buf: Buffer, pos: number, timestampType: 0 | 1, maxTimestamp: number): boolean {
  const attrs = buf.readInt16BE(pos + ATTRIBUTES);
  const newAttrs = timestampType === 1 ? attrs | ATTR_TIMESTAMP_TYPE : attrs & ~ATTR_TIMESTAMP_TYPE;
  if (attrs === newAttrs && readInt64(buf, pos + MAX_TIMESTAMP) === maxTimestamp) return false;
  buf.writeInt16BE(newAttrs, pos + ATTRIBUTES);
  writeInt64(buf, pos + MAX_TIMESTAMP, maxTimestamp);
  rewriteCrc(buf, pos);
  return true;
}

/**
 * LogAppendTime: stamps `now` as the max timestamp of the batch, sets the LogAppendTime attribute and recomputes
 * the CRC in place. A validated-batch entry passed as `batch` is updated to match (maxTimestamp, offset of it).
 */
export function stampLogAppendTime(
  buf: Buffer,
  batch: number | { position: number; maxTimestamp?: number; offsetOfMaxTimestampDelta?: number },
  now: number,
): void {
  const pos = typeof batch === 'number' ? batch : batch.position;
  setMaxTimestamp(buf, pos, 1, now);
  if (typeof batch !== 'number') {
    batch.maxTimestamp = now;
    batch.offsetOfMaxTimestampDelta = 0;
  }
}

// ---- iterating stored batches ----

export interface BatchEntry {
  position: number;
  size: number;
  header: BatchHeader;
}

/**
 * The whole batches in `buf` (stored or fetched data), stopping at a partial trailing batch. A batch length below
 * the minimum, or a magic other than 2, throws CORRUPT_MESSAGE.
 */
export function* batches(buf: Buffer): Generator<BatchEntry> {
  let pos = 0;
  while (pos + HEADER_SIZE <= buf.length) {
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
    if (batchLength < HEADER_SIZE - LOG_OVERHEAD) throw corrupt(`Batch at ${pos} has invalid length ${batchLength}`);
    const size = batchLength + LOG_OVERHEAD;
    if (pos + size > buf.length) return;
    const magic = buf.readInt8(pos + MAGIC);
    if (magic !== 2) throw corrupt(`Batch at ${pos} has magic ${magic}, expected 2`);
    yield { position: pos, size, header: readBatchHeader(buf, pos) };
    pos += size;
  }
}

/** Calls `fn` for each whole batch in `buf`, stopping at a partial trailing batch; returns the bytes covered. */
export function forEachBatch(buf: Buffer, fn: (header: BatchHeader, position: number, size: number) => void): number {
  let end = 0;
  for (const b of batches(buf)) {
    fn(b.header, b.position, b.size);
    end = b.position + b.size;
  }
  return end;
}

// ---- produce validation ----

export interface ValidateOptions {
  maxMessageBytes: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  now: number;
  /** Compacted topics reject records without a key (INVALID_RECORD). */
  compacted?: boolean;
  /** `topic-partition`, for the messages of record errors. */
  partition?: string;
  /** Control batches are written by the coordinator only; clients sending them get INVALID_RECORD. */
  allowControl?: boolean;
}

export interface ValidatedBatch {
  position: number;
  size: number;
  lastOffsetDelta: number;
  recordCount: number;
  /** The batch's max timestamp after validation (record max for CreateTime; `now` once stamped for LogAppendTime). */
  maxTimestamp: number;
  offsetOfMaxTimestampDelta: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

export interface ValidatedBatches {
  batches: ValidatedBatch[];
  magic: 2;
  totalRecords: number;
  sizeInBytes: number;
}

interface WalkState {
  maxTimestamp: number;
  offsetOfMax: number;
}

const walkCursor: Cursor = { pos: 0 };
const walkState: WalkState = { maxTimestamp: NO_TIMESTAMP, offsetOfMax: 0 };

const walkHeader = { baseOffset: 0, baseTimestamp: 0, logAppendTime: false };

/** Record-level faults found by one walk; allocated only when a record is bad (the good path allocates nothing). */
let recordErrors: RecordErrorInfo[] | undefined;
let timestampFault = false;

function recordError(batchIndex: number, message: string, timestamp: boolean): void {
  recordErrors ??= [];
  recordErrors.push({ batchIndex, message });
  if (timestamp) timestampFault = true;
}

/**
 * Kafka's LogValidator.processRecordErrors: a batch with bad records is rejected whole, naming each of them.
 * INVALID_TIMESTAMP when any record's timestamp is at fault, else INVALID_RECORD with the first three errors.
 */
function throwRecordErrors(): void {
  if (recordErrors === undefined) return;
  const errors = recordErrors;
  const timestamp = timestampFault;
  recordErrors = undefined;
  timestampFault = false;
  if (timestamp) {
    throw new RecordValidationError(
      RecordsErrorCode.INVALID_TIMESTAMP,
      'One or more records have been rejected due to invalid timestamp',
      errors,
    );
  }
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`);
  throw new RecordValidationError(
    RecordsErrorCode.INVALID_RECORD,
    `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
    errors,
  );
}

/**
 * Walks `count` records in data[start, end) without allocating: checks the structure and that offset deltas are
 * 0..count-1 (a broken one fails the batch at once), and Kafka's record-level rules (a key on compacted topics,
 * CreateTime bounds, no LogAppendTime from producers), collected per record for throwRecordErrors. Leaves the max
 * timestamp and its offset delta in walkState.
 */
function walkProducedRecords(
  data: Buffer,
  start: number,
  end: number,
  count: number,
  batchHeader: { baseOffset: number; baseTimestamp: number; logAppendTime: boolean },
  opts: ValidateOptions,
): void {
  const c = walkCursor;
  c.pos = start;
  const baseTimestamp = batchHeader.baseTimestamp;
  const checkTs = opts.timestampType === 'CreateTime';
  const lowTs = opts.now - opts.timestampBeforeMaxMs;
  const highTs = opts.now + opts.timestampAfterMaxMs;
  let maxTs = NO_TIMESTAMP;
  let offsetOfMax = 0;
  recordErrors = undefined;
  timestampFault = false;
  for (let i = 0; i < count; i++) {
    if (c.pos >= end) throw invalidRecord(`Incorrect declared batch size, premature EOF reached at record ${i}`);
    const length = readVarint(data, c, end);
    const bodyStart = c.pos;
    const bodyEnd = bodyStart + length;
    if (length < 0 || bodyEnd > end) throw invalidRecord(`Invalid record size ${length} at record ${i}`);
    c.pos++; // attributes
    const tsDelta = readVarlong(data, c, bodyEnd);
    const offsetDelta = readVarint(data, c, bodyEnd);
    if (offsetDelta !== i) throw invalidRecord(`Record offset delta ${offsetDelta} at index ${i} is not sequential`);
    const keyLen = readVarint(data, c, bodyEnd);
    if (keyLen < -1) throw invalidRecord(`Invalid key length ${keyLen}`);
    const keyless = keyLen === -1 && opts.compacted === true;
    if (keyLen > 0) c.pos += keyLen;
    const valueLen = readVarint(data, c, bodyEnd);
    if (valueLen < -1) throw invalidRecord(`Invalid value length ${valueLen}`);
    if (valueLen > 0) c.pos += valueLen;
    const headerCount = readVarint(data, c, bodyEnd);
    if (headerCount < 0) throw invalidRecord(`Invalid negative header count ${headerCount}`);
    for (let h = 0; h < headerCount; h++) {
      const hk = readVarint(data, c, bodyEnd);
      if (hk < 0) throw invalidRecord(`Invalid negative header key size ${hk}`);
      c.pos += hk;
      const hv = readVarint(data, c, bodyEnd);
      if (hv < -1) throw invalidRecord(`Invalid header value size ${hv}`);
      if (hv > 0) c.pos += hv;
    }
    if (c.pos !== bodyEnd) {
      throw invalidRecord(`Invalid record size: expected to read ${length} bytes but read ${c.pos - bodyStart}`);
    }
    const ts = baseTimestamp + tsDelta;
    if (keyless) {
      recordError(
        i,
        `Compacted topic cannot accept message without key in topic partition ${opts.partition ?? ''}`,
        false,
      );
    } else if (checkTs && ts !== NO_TIMESTAMP) {
      if (ts < lowTs || ts > highTs) {
        const offset = batchHeader.baseOffset + offsetDelta;
        recordError(
          i,
          `Timestamp ${ts} of message with offset ${offset} is out of range. The timestamp should be within [${lowTs}, ${highTs}]`,
          true,
        );
      }
    } else if (batchHeader.logAppendTime) {
      recordError(
        i,
        `Invalid timestamp type in message at index ${i}. Producer should not set timestamp type to LogAppendTime.`,
        true,
      );
    }
    if (ts > maxTs) {
      maxTs = ts;
      offsetOfMax = i;
    }
  }
  if (c.pos !== end) throw invalidRecord('Incorrect declared batch size, records still remaining in the batch');
  throwRecordErrors();
  walkState.maxTimestamp = maxTs;
  walkState.offsetOfMax = offsetOfMax;
}

/**
 * Validates a produce request's record batches (magic 2, one or more, all whole) as Kafka's LogValidator does.
 * Throws RecordsError with the Kafka error code. For CreateTime topics a batch whose header max timestamp (or
 * timestamp type) disagrees with its records is corrected in place (with its CRC), as Kafka does; LogAppendTime
 * stamping is left to `stampLogAppendTime`.
 */
export function validateProduceRecords(buf: Buffer, opts: ValidateOptions): ValidatedBatches {
  const out: ValidatedBatch[] = [];
  let totalRecords = 0;
  let pos = 0;
  const logAppend = opts.timestampType === 'LogAppendTime';
  while (pos < buf.length) {
    if (pos + HEADER_SIZE > buf.length) {
      throw corrupt(`Truncated record batch at ${pos}: ${buf.length - pos} bytes, a header needs ${HEADER_SIZE}`);
    }
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
    if (batchLength < HEADER_SIZE - LOG_OVERHEAD)
      throw corrupt(`Record batch at ${pos} has invalid length ${batchLength}`);
    const size = batchLength + LOG_OVERHEAD;
    if (pos + size > buf.length) {
      throw corrupt(`Truncated record batch at ${pos}: ${size} bytes declared, ${buf.length - pos} present`);
    }
    const magic = buf.readInt8(pos + MAGIC);
    if (magic !== 2) {
      if (magic === 0 || magic === 1) throw invalidRecord(`Record batch at ${pos} has legacy magic ${magic}`);
      throw corrupt(`Record batch at ${pos} has unknown magic ${magic}`);
    }
    if (out.length === 0 && readInt64(buf, pos + BASE_OFFSET) !== 0) {
      throw invalidRecord('The base offset of the first record batch of a produce request must be 0');
    }
    if (size > opts.maxMessageBytes) {
      throw new RecordsError(
        RecordsErrorCode.MESSAGE_TOO_LARGE,
        `Record batch of ${size} bytes exceeds the maximum message size ${opts.maxMessageBytes}`,
      );
    }
    const crc = buf.readUInt32BE(pos + CRC);
    const actual = computeBatchCrc(buf, pos, size);
    if (crc !== actual) throw corrupt(`Record batch at ${pos} is corrupt (stored crc ${crc}, computed ${actual})`);
    const attributes = buf.readInt16BE(pos + ATTRIBUTES);
    const codec = attributes & ATTR_COMPRESSION_MASK;
    if (codec > 4) {
      throw new RecordsError(RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Unsupported compression codec ${codec}`);
    }
    const isControl = (attributes & ATTR_CONTROL) !== 0;
    if (isControl && !opts.allowControl) throw invalidRecord('Clients are not allowed to write control records');
    const recordCount = buf.readInt32BE(pos + RECORDS_COUNT);
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    if (recordCount <= 0) throw invalidRecord(`Invalid reported count ${recordCount} for record batch`);
    if (lastOffsetDelta !== recordCount - 1) {
      throw invalidRecord(
        `Inconsistent batch offset range (last delta ${lastOffsetDelta}) and record count ${recordCount}`,
      );
    }
    const producerId = readInt64(buf, pos + PRODUCER_ID);
    const baseSequence = buf.readInt32BE(pos + BASE_SEQUENCE);
    if (producerId >= 0 && baseSequence < 0 && !isControl)
      throw invalidRecord(`Invalid sequence number ${baseSequence}`);
    walkHeader.baseOffset = readInt64(buf, pos + BASE_OFFSET);
    walkHeader.baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
    walkHeader.logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    if (codec === 0) walkProducedRecords(buf, pos + RECORDS, pos + size, recordCount, walkHeader, opts);
    else {
      const data = decompress(codec, buf.subarray(pos + RECORDS, pos + size));
      walkProducedRecords(data, 0, data.length, recordCount, walkHeader, opts);
    }
    let maxTimestamp = walkState.maxTimestamp;
    let offsetOfMaxTimestampDelta = walkState.offsetOfMax;
    if (logAppend) {
      maxTimestamp = opts.now;
      offsetOfMaxTimestampDelta = 0;
    } else setMaxTimestamp(buf, pos, 0, maxTimestamp);
    out.push({
      position: pos,
      size,
      lastOffsetDelta,
      recordCount,
      maxTimestamp,
      offsetOfMaxTimestampDelta,
      producerId,
      producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
      baseSequence,
      isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
      isControl,
    });
    totalRecords += recordCount;
    pos += size;
  }
  return { batches: out, magic: 2, totalRecords, sizeInBytes: buf.length };
}

// ---- record iteration ----

function readBytes(data: Buffer, c: Cursor, end: number, what: string): Buffer | null {
  const len = readVarint(data, c, end);
  if (len < -1) throw invalidRecord(`Invalid ${what} length ${len}`);
  if (len === -1) return null;
  if (c.pos + len > end) throw invalidRecord(`${what} runs past the end of the record`);
  const b = data.subarray(c.pos, c.pos + len);
  c.pos += len;
  return b;
}

/** Decoded records section of a batch: the bytes holding the records (decompressed if needed). */
export function batchRecordsData(batch: Buffer): Buffer {
  const size = batch.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
  if (size > batch.length) throw corrupt(`Batch of ${size} bytes is truncated to ${batch.length}`);
  const codec = batch.readInt16BE(ATTRIBUTES) & ATTR_COMPRESSION_MASK;
  const raw = batch.subarray(RECORDS, size);
  return codec === 0 ? raw : decompress(codec, raw);
}

/**
 * The records of the batch starting at `batch[0]` (decompressed as needed), with absolute offsets and timestamps.
 * Keys, values and header values are views into the batch (or the decompressed data).
 */
export function* iterateRecords(batch: Buffer): Generator<Record> {
  const header = readBatchHeader(batch, 0);
  if (header.magic !== 2) throw corrupt(`Cannot iterate records of a magic ${header.magic} batch`);
  const data = batchRecordsData(batch);
  const c: Cursor = { pos: 0 };
  const end = data.length;
  const logAppend = header.timestampType === 1;
  for (let i = 0; i < header.recordCount; i++) {
    const length = readVarint(data, c, end);
    const bodyEnd = c.pos + length;
    if (length < 0 || bodyEnd > end) throw invalidRecord(`Invalid record size ${length}`);
    c.pos++; // attributes
    const tsDelta = readVarlong(data, c, bodyEnd);
    const offsetDelta = readVarint(data, c, bodyEnd);
    const key = readBytes(data, c, bodyEnd, 'key');
    const value = readBytes(data, c, bodyEnd, 'value');
    const headerCount = readVarint(data, c, bodyEnd);
    if (headerCount < 0) throw invalidRecord(`Invalid negative header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const k = readBytes(data, c, bodyEnd, 'header key');
      if (k === null) throw invalidRecord('Null header key');
      headers.push({ key: k.toString('utf8'), value: readBytes(data, c, bodyEnd, 'header value') });
    }
    if (c.pos !== bodyEnd) throw invalidRecord('Record size disagrees with its content');
    yield {
      offset: header.baseOffset + offsetDelta,
      timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + tsDelta,
      key,
      value,
      headers,
    };
  }
}

// ---- building ----

export interface RecordInput {
  /** Defaults to `now`. */
  timestamp?: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the record's index; compaction keeps original deltas (with gaps). */
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: number;
  timestampType?: 0 | 1;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Compaction: sets the delete-horizon attribute and uses this as the base timestamp. */
  deleteHorizonMs?: number;
  /** Defaults to the largest record offset delta; needed for a batch emptied by compaction. */
  lastOffsetDelta?: number;
  records: RecordInput[];
  /** Timestamp of records without one, and the max timestamp of LogAppendTime batches. Defaults to Date.now(). */
  now?: number;
}

function sizeOfBytes(b: Buffer | null | undefined): number {
  return b == null ? 1 : sizeOfVarint(b.length) + b.length;
}

function writeBytes(out: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(out, pos, -1);
  pos = writeVarint(out, pos, b.length);
  b.copy(out, pos);
  return pos + b.length;
}

/** Builds a v2 record batch with a valid CRC. */
export function buildBatch(opts: BuildBatchOptions): Buffer {
  const now = opts.now ?? Date.now();
  const records = opts.records;
  const timestamps = records.map((r) => r.timestamp ?? now);
  const deltas = records.map((r, i) => r.offsetDelta ?? i);
  const baseTimestamp = opts.deleteHorizonMs ?? (timestamps.length > 0 ? timestamps[0]! : NO_TIMESTAMP);
  let maxTimestamp = NO_TIMESTAMP;
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;
  if (opts.timestampType === 1) maxTimestamp = now;
  let lastOffsetDelta = opts.lastOffsetDelta ?? -1;
  if (opts.lastOffsetDelta === undefined) for (const d of deltas) if (d > lastOffsetDelta) lastOffsetDelta = d;
  if (lastOffsetDelta < 0) lastOffsetDelta = 0;

  // encode records
  const headerKeys = records.map((r) => (r.headers ?? []).map((h) => Buffer.from(h.key, 'utf8')));
  const bodySizes = records.map((r, i) => {
    let s = 1 + sizeOfVarlong(timestamps[i]! - baseTimestamp) + sizeOfVarint(deltas[i]!);
    s += sizeOfBytes(r.key) + sizeOfBytes(r.value);
    const hs = r.headers ?? [];
    s += sizeOfVarint(hs.length);
    hs.forEach((h, j) => {
      s += sizeOfBytes(headerKeys[i]![j]!) + sizeOfBytes(h.value);
    });
    return s;
  });
  let total = 0;
  for (const s of bodySizes) total += sizeOfVarint(s) + s;
  const raw = Buffer.alloc(total);
  let p = 0;
  records.forEach((r, i) => {
    p = writeVarint(raw, p, bodySizes[i]!);
    raw[p++] = 0;
    p = writeVarlong(raw, p, timestamps[i]! - baseTimestamp);
    p = writeVarint(raw, p, deltas[i]!);
    p = writeBytes(raw, p, r.key);
    p = writeBytes(raw, p, r.value);
    const hs = r.headers ?? [];
    p = writeVarint(raw, p, hs.length);
    hs.forEach((h, j) => {
      p = writeBytes(raw, p, headerKeys[i]![j]!);
      p = writeBytes(raw, p, h.value);
    });
  });

  const codec = opts.compression ?? 0;
  const body = compress(codec, raw);
  const out = Buffer.alloc(HEADER_SIZE + body.length);
  let attributes = codec;
  if (opts.timestampType === 1) attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  if (opts.deleteHorizonMs !== undefined) attributes |= ATTR_DELETE_HORIZON;
  writeInt64(out, BASE_OFFSET, opts.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  out.writeInt8(2, MAGIC);
  out.writeInt16BE(attributes, ATTRIBUTES);
  out.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(out, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(out, PRODUCER_ID, opts.producerId ?? -1);
  out.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH);
  out.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  out.writeInt32BE(records.length, RECORDS_COUNT);
  body.copy(out, RECORDS);
  out.writeUInt32BE(computeBatchCrc(out, 0, out.length), CRC);
  return out;
}

export const ControlType = { ABORT: 0, COMMIT: 1 } as const;

export interface ControlBatchOptions {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch?: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Marker timestamp; defaults to Date.now(). */
  now?: number;
}

/** Builds a transaction marker: a transactional control batch with one COMMIT or ABORT control record. */
export function buildControlBatch(type: 'COMMIT' | 'ABORT', opts: ControlBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(ControlType[type], 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(opts.coordinatorEpoch ?? 0, 2);
  return buildBatch({
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    isTransactional: true,
    isControl: true,
    now: opts.now,
    records: [{ key, value }],
  });
}

/** Parses a control record's key and value; null if the key is not a known control record. */
export function parseControlRecord(
  key: Buffer | null,
  value: Buffer | null,
): { type: 'COMMIT' | 'ABORT'; coordinatorEpoch: number } | null {
  if (key === null || key.length < 4) return null;
  const t = key.readInt16BE(2);
  const type = t === 0 ? 'ABORT' : t === 1 ? 'COMMIT' : null;
  if (type === null) return null;
  const coordinatorEpoch = value !== null && value.length >= 6 ? value.readInt32BE(2) : -1;
  return { type, coordinatorEpoch };
}
