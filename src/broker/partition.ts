// A partition replica on this broker: its log, its leader epoch, and the produce/fetch rules that apply to it.
// Replication will add followers and the ISR here; handlers only see this class through the ReplicaManager.

import type { TopicConfig } from '../config/topic-config.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { MAGIC } from '../records/batch-layout.ts';
import {
  convertMessageSetToBatch,
  downConvertBatches,
  iterateRecords,
  stampLogAppendTime,
  validateProduceRecords,
} from '../records/index.ts';
import type { PartitionLog } from '../storage/partition-log.ts';

export interface AppendResult {
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

export class Partition {
  readonly topic: string;
  readonly topicId: string;
  readonly index: number;
  readonly log: PartitionLog;
  leaderEpoch: number;
  config: TopicConfig;

  constructor(init: {
    topic: string;
    topicId: string;
    index: number;
    log: PartitionLog;
    leaderEpoch: number;
    config: TopicConfig;
  }) {
    this.topic = init.topic;
    this.topicId = init.topicId;
    this.index = init.index;
    this.log = init.log;
    this.leaderEpoch = init.leaderEpoch;
    this.config = init.config;
  }

  get key(): string {
    return `${this.topic}-${this.index}`;
  }

  /** Validates the producer's records and appends them, rewriting only base offsets and leader epoch. */
  appendAsLeader(records: Buffer, now: number): AppendResult {
    const cfg = this.config;
    if (records.length < MAGIC + 1) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record set is too short');
    let buf = records;
    const magic = records.readInt8(MAGIC);
    if (magic < 2) buf = convertMessageSetToBatch(records, { now });
    const validated = validateProduceRecords(buf, {
      maxMessageBytes: cfg.maxMessageBytes,
      timestampType: cfg.messageTimestampType,
      timestampBeforeMaxMs: cfg.timestampBeforeMaxMs,
      timestampAfterMaxMs: cfg.timestampAfterMaxMs,
      now,
    });
    const logAppend = cfg.messageTimestampType === 'LogAppendTime';
    if (logAppend) for (const b of validated.batches) stampLogAppendTime(buf, b, now);
    const r = this.log.append(buf, validated.batches, this.leaderEpoch);
    return { baseOffset: r.baseOffset, logAppendTime: logAppend ? now : -1, logStartOffset: this.log.logStartOffset };
  }

  /** Reads committed data from `offset` for a consumer; `magic` < 2 down-converts for old fetch versions. */
  read(offset: number, maxBytes: number, minOneMessage: boolean, magic: number): ReadResult {
    const hw = this.log.highWatermark;
    const { records } = this.log.read(offset, maxBytes, hw, minOneMessage);
    return {
      records: magic < 2 ? downConvertBatches(records, magic as 0 | 1) : records,
      highWatermark: hw,
      lastStableOffset: hw,
      logStartOffset: this.log.logStartOffset,
    };
  }

  /** ListOffsets: earliest (-2, -4), latest (-1), max timestamp (-3), or the first offset with timestamp >= ts. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    if (ts === -2 || ts === -4) return { offset: this.log.logStartOffset, timestamp: -1 };
    if (ts === -1) return { offset: this.log.highWatermark, timestamp: -1 };
    if (ts === -3) return this.log.maxTimestampOffset();
    if (ts < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown special timestamp ${ts}`);
    const found = this.log.offsetForTimestamp(ts);
    if (!found) return null;
    for (const rec of iterateRecords(found.batch)) {
      if (rec.timestamp >= ts && rec.offset >= this.log.logStartOffset)
        return { offset: rec.offset, timestamp: rec.timestamp };
    }
    return { offset: found.offset, timestamp: found.timestamp };
  }
}
