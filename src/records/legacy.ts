// Legacy message sets (magic 0 and 1): parsing (with compressed wrapper messages), up-conversion of produce
// requests to one v2 batch, and down-conversion of stored v2 batches for old fetch versions.
import zlib from 'node:zlib';
import { batches, buildBatch, iterateRecords, NO_TIMESTAMP } from './batch.ts';
import { compress, decompress } from './compression.ts';
import { corrupt, invalidRecord, RecordsError, RecordsErrorCode } from './errors.ts';

// Message layout: offset int64, size int32, then crc uint32 (IEEE, over magic..end), magic int8, attributes int8,
// timestamp int64 (magic 1 only), key bytes (int32 length, -1 null), value bytes (int32 length, -1 null).
const OFFSET_SIZE_OVERHEAD = 12;
const CRC_OFFSET = 12;
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 17;
const TIMESTAMP_OFFSET = 18;
const ATTR_CODEC_MASK = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;

/** Size of a message's fields after `size`, without key and value bytes. */
function messageOverhead(magic: number): number {
  return 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4;
}

export interface LegacyMessage {
  offset: number;
  magic: 0 | 1;
  attributes: number;
  /** 0 CreateTime, 1 LogAppendTime (magic 1); magic 0 messages have NO_TIMESTAMP. */
  timestampType: 0 | 1;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface ParseMessageSetOptions {
  /** Stop quietly at a partial trailing message (fetched data) instead of throwing CORRUPT_MESSAGE. */
  allowPartialTail?: boolean;
}

interface RawMessage extends LegacyMessage {
  codec: number;
}

function readBytes(buf: Buffer, pos: number, end: number, what: string): [Buffer | null, number] {
  if (pos + 4 > end) throw corrupt(`Message ${what} length runs past the message end`);
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len === -1) return [null, pos];
  if (len < 0 || pos + len > end) throw corrupt(`Invalid message ${what} length ${len}`);
  return [buf.subarray(pos, pos + len), pos + len];
}

/** Shallow parse: the messages at the top level of `buf`, wrappers not unwrapped, CRCs checked. */
function parseShallow(buf: Buffer, allowPartialTail: boolean): RawMessage[] {
  const out: RawMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + OFFSET_SIZE_OVERHEAD > buf.length) {
      if (allowPartialTail) break;
      throw corrupt(`Truncated message at ${pos}`);
    }
    const size = buf.readInt32BE(pos + 8);
    const end = pos + OFFSET_SIZE_OVERHEAD + size;
    if (size < messageOverhead(0)) throw corrupt(`Message at ${pos} has invalid size ${size}`);
    if (end > buf.length) {
      if (allowPartialTail) break;
      throw corrupt(`Truncated message at ${pos}: ${size} bytes declared`);
    }
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic !== 0 && magic !== 1) throw corrupt(`Message at ${pos} has magic ${magic} in a legacy message set`);
    if (size < messageOverhead(magic)) throw corrupt(`Message at ${pos} has invalid size ${size}`);
    const crc = buf.readUInt32BE(pos + CRC_OFFSET);
    const actual = zlib.crc32(buf.subarray(pos + MAGIC_OFFSET, end));
    if (crc !== actual) throw corrupt(`Message at ${pos} is corrupt (stored crc ${crc}, computed ${actual})`);
    const attributes = buf.readInt8(pos + ATTRIBUTES_OFFSET);
    const codec = attributes & ATTR_CODEC_MASK;
    if (codec > 3) {
      throw new RecordsError(
        RecordsErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
        `Compression codec ${codec} is not supported with message format ${magic}`,
      );
    }
    let p = pos + TIMESTAMP_OFFSET;
    let timestamp = NO_TIMESTAMP;
    let timestampType: 0 | 1 = 0;
    if (magic === 1) {
      timestamp = Number(buf.readBigInt64BE(p));
      timestampType = attributes & ATTR_LOG_APPEND_TIME ? 1 : 0;
      p += 8;
    }
    const [key, p2] = readBytes(buf, p, end, 'key');
    const [value, p3] = readBytes(buf, p2, end, 'value');
    if (p3 !== end) throw corrupt(`Message at ${pos} has ${end - p3} trailing bytes`);
    out.push({
      offset: Number(buf.readBigInt64BE(pos)),
      magic,
      attributes,
      timestampType,
      timestamp,
      key,
      value,
      codec,
    });
    pos = end;
  }
  return out;
}

function unwrap(wrapper: RawMessage): LegacyMessage[] {
  if (wrapper.value === null) throw invalidRecord('Compressed wrapper message has a null value');
  const inner = parseShallow(decompress(wrapper.codec, wrapper.value), false);
  if (inner.length === 0) throw invalidRecord('Compressed wrapper message holds no messages');
  const lastInner = inner[inner.length - 1]!.offset;
  return inner.map((m) => {
    if (m.codec !== 0) throw invalidRecord('Compressed wrapper message holds a compressed message');
    if (m.magic !== wrapper.magic) {
      throw invalidRecord(`Wrapper message with magic ${wrapper.magic} holds a message with magic ${m.magic}`);
    }
    // magic 1 inner offsets are relative (KIP-31): the wrapper carries the absolute offset of the last one
    const offset = wrapper.magic === 1 ? wrapper.offset - lastInner + m.offset : m.offset;
    const logAppend = wrapper.timestampType === 1;
    return {
      offset,
      magic: m.magic,
      attributes: m.attributes,
      timestampType: logAppend ? 1 : m.timestampType,
      timestamp: logAppend ? wrapper.timestamp : m.timestamp,
      key: m.key,
      value: m.value,
    };
  });
}

/**
 * Parses a legacy message set (magic 0/1) into its messages, unwrapping compressed wrapper messages. CRC and
 * framing errors throw CORRUPT_MESSAGE, inconsistent wrappers INVALID_RECORD, codecs other than gzip, snappy and lz4
 * UNSUPPORTED_COMPRESSION_TYPE.
 */
export function parseMessageSet(buf: Buffer, opts: ParseMessageSetOptions = {}): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  for (const m of parseShallow(buf, opts.allowPartialTail ?? false)) {
    if (m.codec === 0) {
      const { codec: _codec, ...msg } = m;
      out.push(msg);
    } else out.push(...unwrap(m));
  }
  return out;
}

export interface ConvertOptions {
  /** Broker time, used as the max timestamp if the topic uses LogAppendTime (stamped later anyway). */
  now?: number;
}

/**
 * Up-converts a produce request's legacy message set into one v2 batch (base offset 0, offset deltas 0..n-1),
 * keeping the wrapper's codec, keys, values and timestamps (magic 0 messages get NO_TIMESTAMP). The result goes
 * through `validateProduceRecords` like any v2 produce.
 */
export function convertMessageSetToBatch(buf: Buffer, opts: ConvertOptions = {}): Buffer {
  const shallow = parseShallow(buf, false);
  const codec = shallow.find((m) => m.codec !== 0)?.codec ?? 0;
  const messages = parseMessageSet(buf);
  return buildBatch({
    compression: codec,
    now: opts.now,
    records: messages.map((m) => ({ timestamp: m.timestamp, key: m.key, value: m.value })),
  });
}

export interface LegacyMessageInput {
  offset: number;
  timestamp?: number;
  key?: Buffer | null;
  value?: Buffer | null;
}

function encodeMessages(messages: LegacyMessageInput[], magic: 0 | 1, attributes: number): Buffer {
  let total = 0;
  for (const m of messages)
    total += OFFSET_SIZE_OVERHEAD + messageOverhead(magic) + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const out = Buffer.alloc(total);
  let pos = 0;
  for (const m of messages) {
    const start = pos;
    const size = messageOverhead(magic) + (m.key?.length ?? 0) + (m.value?.length ?? 0);
    out.writeBigInt64BE(BigInt(m.offset), pos);
    out.writeInt32BE(size, pos + 8);
    pos += MAGIC_OFFSET;
    out.writeInt8(magic, pos++);
    out.writeInt8(attributes, pos++);
    if (magic === 1) {
      out.writeBigInt64BE(BigInt(m.timestamp ?? NO_TIMESTAMP), pos);
      pos += 8;
    }
    for (const b of [m.key, m.value]) {
      if (b == null) pos = out.writeInt32BE(-1, pos);
      else {
        pos = out.writeInt32BE(b.length, pos);
        pos += b.copy(out, pos);
      }
    }
    out.writeUInt32BE(zlib.crc32(out.subarray(start + MAGIC_OFFSET, pos)), start + CRC_OFFSET);
  }
  return out;
}

export interface BuildMessageSetOptions {
  magic: 0 | 1;
  /** 0 none (default), 1 gzip, 2 snappy, 3 lz4: wraps all messages in one compressed wrapper message. */
  compression?: number;
  /** magic 1: marks messages (or the wrapper) LogAppendTime. */
  logAppendTime?: boolean;
}

/**
 * Encodes a legacy message set (for old-client tests and down-conversion). With compression, the messages go in one
 * wrapper message: for magic 1 with relative inner offsets, the wrapper holding the last absolute offset and the
 * max timestamp.
 */
export function buildMessageSet(messages: LegacyMessageInput[], opts: BuildMessageSetOptions): Buffer {
  const tsAttr = opts.magic === 1 && opts.logAppendTime ? ATTR_LOG_APPEND_TIME : 0;
  const codec = opts.compression ?? 0;
  if (codec === 0) return encodeMessages(messages, opts.magic, tsAttr);
  if (messages.length === 0) return Buffer.alloc(0);
  const first = messages[0]!.offset;
  const last = messages[messages.length - 1]!;
  const inner = encodeMessages(
    opts.magic === 1 ? messages.map((m) => ({ ...m, offset: m.offset - first })) : messages,
    opts.magic,
    0,
  );
  let maxTs = NO_TIMESTAMP;
  for (const m of messages) if ((m.timestamp ?? NO_TIMESTAMP) > maxTs) maxTs = m.timestamp ?? NO_TIMESTAMP;
  return encodeMessages(
    [{ offset: last.offset, timestamp: maxTs, key: null, value: compress(codec, inner) }],
    opts.magic,
    codec | tsAttr,
  );
}

/**
 * Down-converts stored v2 batches (possibly ending with a partial batch, which is dropped) to an uncompressed
 * legacy message set of `toMagic` for Fetch v0-v3: one message per record with its absolute offset. Control
 * batches are skipped; record headers are lost.
 */
export function downConvertBatches(buf: Buffer, toMagic: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  for (const b of batches(buf)) {
    if (b.header.isControl) continue;
    const batch = buf.subarray(b.position, b.position + b.size);
    const messages: LegacyMessageInput[] = [];
    for (const r of iterateRecords(batch)) {
      messages.push({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value });
    }
    const tsAttr = toMagic === 1 && b.header.timestampType === 1 ? ATTR_LOG_APPEND_TIME : 0;
    parts.push(encodeMessages(messages, toMagic, tsAttr));
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
