// A partition replica on this broker: its log, its leader epoch, and the produce/fetch rules that apply to it.
// Replication will add followers and the ISR here; handlers only see this class through the ReplicaManager.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TopicConfig } from '../config/topic-config.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { MAGIC } from '../records/batch-layout.ts';
import {
  batches,
  buildBatch,
  buildControlBatch,
  computeBatchCrc,
  convertMessageSetToBatch,
  downConvertBatches,
  iterateRecords,
  readBatchHeader,
  stampLogAppendTime,
  type ValidatedBatches,
  validateProduceRecords,
} from '../records/index.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { ReadAlloc } from '../storage/read-buffers.ts';
import type { Logger } from '../util/log.ts';
import type { AbortedTxn, ControlInfo, ProducerBatch, ProducerStateManager } from './producer-state.ts';
import {
  appendTxnIndex,
  fileName,
  loadProducerState,
  segmentFor,
  storedBatch,
  writeSnapshot,
  writeSnapshotAsync,
} from './producer-state-file.ts';

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
  /** read_committed fetches: the aborted transactions overlapping the returned range. */
  abortedTransactions?: AbortedTxn[];
}

/** Checks, before a transactional batch opens a transaction here, that its coordinator added this partition. */
export type TxnVerifier = (producerId: number, producerEpoch: number, topic: string, partition: number) => number;

export class Partition {
  readonly topic: string;
  readonly topicId: string;
  readonly index: number;
  readonly log: PartitionLog;
  leaderEpoch: number;
  /** This broker leads the partition (the image says so and its session is live): else requests from clients get
   * NOT_LEADER_OR_FOLLOWER. Followers keep their log (replication fills it). */
  isLeader = false;
  config: TopicConfig;
  /** Idempotence and transaction state of this partition's producers (moves with the log). */
  producers: ProducerStateManager;
  private activeSegmentBase: number;
  private readonly logger: Logger;
  /** Cluster mode: after every leader append (clients' and coordinators'), so the HW can move. */
  onLeaderAppend: (() => void) | undefined;
  /** KIP-890 verification of transactional appends (answered by the transaction coordinator). */
  private readonly txnVerifier: TxnVerifier | undefined;

  constructor(init: {
    topic: string;
    topicId: string;
    index: number;
    log: PartitionLog;
    leaderEpoch: number;
    config: TopicConfig;
    logger: Logger;
    txnVerifier?: TxnVerifier;
  }) {
    this.topic = init.topic;
    this.topicId = init.topicId;
    this.index = init.index;
    this.log = init.log;
    this.leaderEpoch = init.leaderEpoch;
    this.config = init.config;
    this.txnVerifier = init.txnVerifier;
    this.logger = init.logger;
    this.producers = loadProducerState(init.log, init.logger);
    this.activeSegmentBase = this.currentSegmentBase();
  }

  private currentSegmentBase(): number {
    return this.log.segments.at(-1)?.baseOffset ?? 0;
  }

  /** First offset of the earliest open transaction, else the high watermark. */
  get lastStableOffset(): number {
    const hw = this.log.highWatermark;
    const first = this.producers.firstUnstableOffset();
    return first === undefined ? hw : Math.min(first, hw);
  }

  /** Writes a producer state snapshot at the log end (clean shutdown, segment rolls). */
  snapshotProducers(): void {
    if (this.snapshotNeeded()) writeSnapshot(this.log.dir, this.log.logEndOffset, this.producers);
  }

  /** snapshotProducers for a shutdown: the fsync through `fsync` (in parallel with other partitions'). */
  async snapshotProducersAsync(fsync: (path: string) => Promise<void>): Promise<void> {
    if (this.snapshotNeeded()) await writeSnapshotAsync(this.log.dir, this.log.logEndOffset, this.producers, fsync);
  }

  /**
   * As Kafka, only when the log moved since the last snapshot: an empty log has nothing to replay, and a snapshot
   * at the log end already holds this state (one fsync per idle partition made shutdowns slow).
   */
  private snapshotNeeded(): boolean {
    const end = this.log.logEndOffset;
    if (end === this.log.logStartOffset && this.producers.producers.size === 0) return false;
    return !existsSync(join(this.log.dir, fileName(end, '.snapshot')));
  }

  /** producer.id.expiration.ms: forgets idle producers. */
  expireProducers(now: number, expirationMs: number): number {
    this.producers.truncateHead(this.log.logStartOffset);
    return this.producers.removeExpired(now, expirationMs).length;
  }

  /**
   * Appends validated batches after checking them against the producer state; a retried duplicate answers its
   * original offsets without appending. Markers (coordinator appends) complete transactions.
   */
  private appendWithProducerState(
    buf: Buffer,
    validated: ReturnType<typeof validateProduceRecords>,
    origin: 'client' | 'coordinator',
    control?: ControlInfo,
  ): AppendResult {
    const pb: ProducerBatch[] = validated.batches.map((b) => ({
      producerId: b.producerId,
      producerEpoch: b.producerEpoch,
      baseSequence: b.baseSequence,
      offsetCount: b.lastOffsetDelta + 1,
      maxTimestamp: b.maxTimestamp,
      isTransactional: b.isTransactional,
      isControl: b.isControl,
    }));
    const plan = this.producers.prepare(pb, this.log.logEndOffset, origin, () => control!);
    if (plan.duplicate) {
      return { baseOffset: plan.duplicate.firstOffset, logAppendTime: -1, logStartOffset: this.log.logStartOffset };
    }
    if (origin === 'client' && this.txnVerifier) {
      for (const b of pb) {
        if (!b.isTransactional || b.producerId < 0) continue;
        if ((this.producers.get(b.producerId)?.currentTxnFirstOffset ?? -1) >= 0) continue;
        const code = this.txnVerifier(b.producerId, b.producerEpoch, this.topic, this.index);
        if (code !== ErrorCode.NONE)
          throw new KafkaError(code, `Transactional batch of producer ${b.producerId} is not part of a transaction`);
      }
    }
    const lsoBefore = this.lastStableOffset;
    const r = this.log.append(buf, validated.batches, this.leaderEpoch);
    const base = this.currentSegmentBase();
    if (base !== this.activeSegmentBase) {
      // The append rolled a segment: snapshot the state as of the new segment's base (before this append).
      if (base === r.baseOffset) writeSnapshot(this.log.dir, base, this.producers);
      this.activeSegmentBase = base;
    }
    for (const a of this.producers.commit(plan, () => lsoBefore))
      appendTxnIndex(this.log.dir, segmentFor([base], a.lastOffset), a);
    this.onLeaderAppend?.();
    return { baseOffset: r.baseOffset, logAppendTime: -1, logStartOffset: this.log.logStartOffset };
  }

  /**
   * Appends records a coordinator writes on a producer's behalf (TxnOffsetCommit's transactional offset records):
   * epochs are checked, sequences are not (the producer never sends these).
   */
  appendAsCoordinator(buf: Buffer, now: number): AppendResult {
    return this.appendWithProducerState(buf, validateCoordinatorRecords(buf, now, false), 'coordinator');
  }

  /** Writes a COMMIT or ABORT marker for a producer's transaction (the transaction coordinator's WriteTxnMarkers). */
  appendMarker(
    type: 'COMMIT' | 'ABORT',
    producerId: number,
    producerEpoch: number,
    coordinatorEpoch: number,
    transactionVersion: number,
    now: number,
  ): AppendResult {
    const buf = buildControlBatch(type, { producerId, producerEpoch, coordinatorEpoch, now });
    return this.appendWithProducerState(buf, validateCoordinatorRecords(buf, now, true), 'coordinator', {
      abort: type === 'ABORT',
      coordinatorEpoch,
      transactionVersion,
    });
  }

  get key(): string {
    return `${this.topic}-${this.index}`;
  }

  /**
   * This broker leads the partition with `epoch` (Kafka's makeLeader): a newer epoch than the log has seen starts
   * at the log end offset in the leader-epoch cache, so OffsetForLeaderEpoch answers for it before its first
   * append. Followers (replication) learn epochs from the leader's batches instead.
   */
  makeLeader(epoch: number): void {
    this.leaderEpoch = epoch;
    this.isLeader = true;
    if (this.log.isOffline || this.log.isClosed) return;
    const cache = this.log.epochs;
    if (epoch <= cache.latestEpoch()) return;
    // An empty log's entry describes no data: it is written with the first append (see LeaderEpochCache.assign).
    cache.assign(epoch, this.log.logEndOffset, this.log.logEndOffset > this.log.logStartOffset);
  }

  /** Another broker leads with `epoch` (or none does): this replica stops answering clients. */
  makeFollower(epoch: number): void {
    this.leaderEpoch = epoch;
    this.isLeader = false;
  }

  /**
   * Kafka's checkCurrentLeaderEpoch for a request's current_leader_epoch (-1: not given): FENCED_LEADER_EPOCH when
   * it is older than this partition's, UNKNOWN_LEADER_EPOCH when newer (this broker has not learnt it yet).
   */
  checkCurrentLeaderEpoch(current: number): number {
    if (current === -1 || current === this.leaderEpoch) return ErrorCode.NONE;
    return current < this.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `epoch` in this log and its end offset (the next epoch's start, or
   * the log end offset for the latest), from the leader-epoch cache; -1/-1 when the cache cannot tell.
   */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    const r = this.log.epochs.endOffsetFor(epoch, this.log.logEndOffset);
    return r.endOffset === -1 ? { leaderEpoch: -1, endOffset: -1 } : { leaderEpoch: r.epoch, endOffset: r.endOffset };
  }

  /**
   * A follower's append of the leader's batches as they are (replication): offsets and partition leader epochs are
   * kept (each run of batches of one epoch is appended with it, so the epoch cache gets an entry where an epoch
   * starts), CRCs are checked, producer state follows with origin 'replication' (no sequence checks). The batches
   * must start at the log end and be contiguous; a partial trailing batch (a fetch cut at its byte limit) is left
   * for the next fetch. Returns the number of records appended.
   */
  appendAsFollower(buf: Buffer): number {
    let runStart = -1;
    let runEpoch = -1;
    let infos: Array<{
      position: number;
      size: number;
      lastOffsetDelta: number;
      recordCount: number;
      maxTimestamp: number;
    }> = [];
    let next = this.log.logEndOffset;
    let appended = 0;
    const flushRun = () => {
      if (infos.length === 0) return;
      const pb: ProducerBatch[] = [];
      const controls: ControlInfo[] = [];
      for (const i of infos) {
        const { batch, control } = storedBatch(buf, i.position, i.size);
        pb.push(batch);
        controls.push(control ?? { abort: false, coordinatorEpoch: -1, transactionVersion: 0 });
      }
      const plan = this.producers.prepare(pb, runStart, 'replication', (k) => controls[k]!);
      const lsoBefore = this.lastStableOffset;
      const r = this.log.append(buf, infos, runEpoch);
      const base = this.currentSegmentBase();
      if (base !== this.activeSegmentBase) {
        if (base === r.baseOffset) writeSnapshot(this.log.dir, base, this.producers);
        this.activeSegmentBase = base;
      }
      for (const a of this.producers.commit(plan, () => lsoBefore))
        appendTxnIndex(this.log.dir, segmentFor([base], a.lastOffset), a);
      infos = [];
    };
    for (const b of batches(buf)) {
      const h = b.header;
      if (h.baseOffset !== next)
        throw new KafkaError(
          ErrorCode.CORRUPT_MESSAGE,
          `${this.key}: replicated batch at offset ${h.baseOffset}, the log ends at ${next}`,
        );
      if (computeBatchCrc(buf, b.position, b.size) !== h.crc)
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${this.key}: replicated batch at ${h.baseOffset} is corrupt`);
      if (infos.length > 0 && h.partitionLeaderEpoch !== runEpoch) flushRun();
      if (infos.length === 0) {
        runStart = h.baseOffset;
        runEpoch = h.partitionLeaderEpoch;
      }
      infos.push({
        position: b.position,
        size: b.size,
        lastOffsetDelta: h.lastOffsetDelta,
        recordCount: h.recordCount,
        maxTimestamp: h.maxTimestamp,
      });
      next = h.baseOffset + h.lastOffsetDelta + 1;
      appended += h.recordCount;
    }
    flushRun();
    return appended;
  }

  /**
   * Replication's truncation: removes every record at or above `offset`, the epoch entries starting there (also when
   * `offset` is the log end: a leader epoch assigned at the end describes no data) and rebuilds the producer state.
   */
  truncateTo(offset: number): void {
    const before = this.log.logEndOffset;
    this.log.truncateTo(offset);
    this.log.epochs.truncateFromEnd(offset);
    if (this.log.logEndOffset < before) {
      this.producers = loadProducerState(this.log, this.logger);
      this.activeSegmentBase = this.currentSegmentBase();
      this.logger.info(
        { partition: this.key, from: before, to: this.log.logEndOffset },
        'log truncated by replication',
      );
    }
  }

  /** The log's start offset (what a replica fetcher tells the leader it holds). */
  logStartOffset(): number {
    return this.log.logStartOffset;
  }

  /**
   * A follower behind the leader's log start (retention or DeleteRecords removed what it would fetch next): its log is
   * emptied and starts again at `offset` (Kafka's truncateFullyAndStartAt), with empty producer state.
   */
  restartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset);
    this.producers = loadProducerState(this.log, this.logger);
    this.activeSegmentBase = this.currentSegmentBase();
    this.logger.warn({ partition: this.key, offset }, "follower log emptied to start at the leader's log start offset");
  }

  /** Validates the producer's records and appends them, rewriting only base offsets and leader epoch. */
  appendAsLeader(records: Buffer, now: number): AppendResult {
    const cfg = this.config;
    if (records.length < MAGIC + 1) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Record set is too short');
    let buf = records;
    const magic = records.readInt8(MAGIC);
    if (magic < 2) buf = convertMessageSetToBatch(records, { now });
    const validateOpts = {
      maxMessageBytes: cfg.maxMessageBytes,
      timestampType: cfg.messageTimestampType,
      timestampBeforeMaxMs: cfg.timestampBeforeMaxMs,
      timestampAfterMaxMs: cfg.timestampAfterMaxMs,
      now,
      compacted: cfg.compact,
      partition: this.key,
    };
    let validated = validateProduceRecords(buf, validateOpts);
    const target = TOPIC_CODECS[cfg.compressionType];
    if (
      target !== undefined &&
      validated.batches.some((b) => readBatchHeader(buf, b.position).compression !== target)
    ) {
      // The topic's compression.type differs from the producer's: recompress (the only case the broker rebuilds).
      buf = recompress(buf, validated, target, now);
      validated = validateProduceRecords(buf, validateOpts);
    }
    const logAppend = cfg.messageTimestampType === 'LogAppendTime';
    if (logAppend) for (const b of validated.batches) stampLogAppendTime(buf, b, now);
    const r = this.appendWithProducerState(buf, validated, 'client');
    return { ...r, logAppendTime: logAppend && r.logAppendTime === -1 ? now : r.logAppendTime };
  }

  /**
   * Reads from `offset` for a consumer, up to the high watermark (read_uncommitted) or the last stable offset
   * (read_committed, with the aborted transactions in the range); `magic` < 2 down-converts for old fetches.
   * `alloc` supplies the memory read into (see storage/read-buffers.ts).
   */
  read(
    offset: number,
    maxBytes: number,
    minOneMessage: boolean,
    magic: number,
    readCommitted = false,
    alloc?: ReadAlloc,
  ): ReadResult {
    const hw = this.log.highWatermark;
    const lso = this.lastStableOffset;
    const { records, firstOffset } = this.log.read(offset, maxBytes, readCommitted ? lso : hw, minOneMessage, alloc);
    const out: ReadResult = {
      records: magic < 2 ? downConvertBatches(records, magic as 0 | 1) : records,
      highWatermark: hw,
      lastStableOffset: lso,
      logStartOffset: this.log.logStartOffset,
    };
    if (readCommitted && records.length > 0) {
      const from = firstOffset ?? offset;
      let to = from;
      for (const b of batches(records)) to = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      out.abortedTransactions = this.producers.abortedBetween(from, Math.max(to, offset + 1));
    }
    return out;
  }

  /**
   * ListOffsets: earliest (-2, -4), latest (-1), max timestamp (-3), or the first offset with timestamp >= ts, with
   * the leader epoch Kafka answers: the first cached epoch for earliest (when it covers the log start), the current
   * one for latest, the epoch of the record's batch otherwise (-1: unknown).
   */
  offsetForTimestamp(
    ts: number,
    readCommitted = false,
  ): { offset: number; timestamp: number; leaderEpoch: number } | null {
    const epochs = this.log.epochs;
    if (ts === -2 || ts === -4) {
      const first = epochs.earliestEntry();
      const leaderEpoch = first !== undefined && first.startOffset <= this.log.logStartOffset ? first.epoch : -1;
      return { offset: this.log.logStartOffset, timestamp: -1, leaderEpoch };
    }
    if (ts === -1) {
      const offset = readCommitted ? this.lastStableOffset : this.log.highWatermark;
      return { offset, timestamp: -1, leaderEpoch: this.leaderEpoch };
    }
    if (ts === -3) {
      const max = this.log.maxTimestampOffset();
      return { ...max, leaderEpoch: max.offset < 0 ? -1 : epochs.epochForOffset(max.offset) };
    }
    if (ts < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown special timestamp ${ts}`);
    const found = this.log.offsetForTimestamp(ts);
    if (!found) return null;
    const leaderEpoch = readBatchHeader(found.batch, 0).partitionLeaderEpoch;
    for (const rec of iterateRecords(found.batch)) {
      if (rec.timestamp >= ts && rec.offset >= this.log.logStartOffset)
        return { offset: rec.offset, timestamp: rec.timestamp, leaderEpoch };
    }
    return { offset: found.offset, timestamp: found.timestamp, leaderEpoch };
  }
}

/** Batches the broker builds itself (coordinator records, markers): framing checked, no size or time limits. */
function validateCoordinatorRecords(buf: Buffer, now: number, allowControl: boolean): ValidatedBatches {
  return validateProduceRecords(buf, {
    maxMessageBytes: Number.MAX_SAFE_INTEGER,
    timestampType: 'CreateTime',
    timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    timestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
    now,
    allowControl,
  });
}

/** Codec ids for a topic's compression.type; 'producer' (keep what the producer sent) has none. */
const TOPIC_CODECS: Readonly<Record<string, number>> = { uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** Rebuilds each batch of a produce request with `codec`, keeping records, timestamps and producer fields. */
function recompress(buf: Buffer, validated: ValidatedBatches, codec: number, now: number): Buffer {
  const out = validated.batches.map((b) => {
    const batch = buf.subarray(b.position, b.position + b.size);
    const h = readBatchHeader(batch, 0);
    return buildBatch({
      compression: codec,
      timestampType: h.timestampType as 0 | 1,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      isTransactional: h.isTransactional,
      lastOffsetDelta: h.lastOffsetDelta,
      now,
      records: [...iterateRecords(batch)].map((r) => ({
        offsetDelta: r.offset - h.baseOffset,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    });
  });
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
