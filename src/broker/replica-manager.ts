// The partitions this broker hosts, kept in step with the metadata image, and the produce, fetch and
// list-offsets operations handlers call. Long-polling fetches wait here for appends.

import type { TopicConfig } from '../config/topic-config.ts';
import type { MetadataImage, PartitionInfo, TopicInfo } from '../metadata/image.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { type RecordErrorInfo, RecordsError, RecordValidationError } from '../records/index.ts';
import type { LogConfig } from '../storage/config.ts';
import { OffsetOutOfRangeError, StorageError } from '../storage/errors.ts';
import { FsyncLimiter } from '../storage/file-io.ts';
import type { LogManager } from '../storage/log-manager.ts';
import { type ReadAlloc, ReadBufferPool } from '../storage/read-buffers.ts';
import type { Logger } from '../util/log.ts';
import { type AppendResult, Partition, type ReadResult, type TxnVerifier } from './partition.ts';
import { Replication, type ReplicationOptions } from './replication.ts';

export interface ProduceOutcome extends Partial<AppendResult> {
  errorCode: number;
  errorMessage: string | null;
  /** KIP-467: the records that made the batch fail (Produce v8+ record_errors). */
  recordErrors?: RecordErrorInfo[];
}

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** Replica fetches (Fetch v12+): the epoch of the follower's last fetched batch, -1 for none. */
  lastFetchedEpoch?: number;
  /** Replica fetches: the follower's log start offset (-1: unknown). */
  logStartOffset?: number;
}

export interface FetchPartitionResult extends Partial<ReadResult> {
  errorCode: number;
  /** A follower's log diverges from the leader's: this epoch ends at this offset here (no records then). */
  divergingEpoch?: { epoch: number; endOffset: number };
  /** KIP-392: the replica the consumer should fetch from instead (no records then). */
  preferredReadReplica?: number;
}

/**
 * A fetch's answer. The records are read into pooled memory: call `release()` once they are no longer referenced
 * (the response has been written to the socket); until then they must not be kept.
 */
export interface FetchResult {
  partitions: FetchPartitionResult[];
  release(): void;
}

export interface FetchParams {
  partitions: FetchPartitionRequest[];
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  magic: number;
  /** isolation_level 1: read only below the last stable offset, with the aborted transactions. */
  readCommitted?: boolean;
  /** A follower broker's fetch (replica id >= 0): read up to the log end, the follower's state is updated. */
  replicaId?: number;
  /** A consumer's Fetch v11+ (its client.rack, '' for none): it may read from a follower (KIP-392), and a leader may
   * point it to a replica in its rack (preferred_read_replica). Undefined for older fetches: leaders only. */
  clientRack?: string;
}

type Waiter = () => void;

/** A partition of the image not created here yet (see applyImage). */
interface PendingPartition {
  topic: TopicInfo;
  partition: PartitionInfo;
  config: TopicConfig;
}

const SHUTDOWN_SNAPSHOTS = 32;

/** Partitions created per turn of the event loop when an image brings many (so requests keep being served). */
export const CREATE_CHUNK = 64;

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /** New partitions still to create, in order; created in chunks between requests or when first asked for. */
  private readonly pending = new Map<string, PendingPartition>();
  private createScheduled = false;
  private readonly waiters = new Set<Waiter>();
  /** The same waiters by the partitions (`topic-partition`) they wait on: an append wakes only its own. */
  private readonly waitersByPartition = new Map<string, Set<Waiter>>();
  private readonly logs: LogManager;
  private readonly log: Logger;
  private readonly nodeId: number;
  private readonly topicConfig: (overrides: Readonly<Record<string, string>>) => TopicConfig;
  /** Memory that fetches read into, reused once their responses are written. */
  readonly readBuffers = new ReadBufferPool();
  private closed = false;
  /** Resigned after a lost coordination session, until resume (see resignAll). */
  private resigned = false;
  /** Set by the transaction coordinator: checks transactional appends belong to an ongoing transaction. */
  txnVerifier: TxnVerifier | undefined;
  /** Cluster mode only: replication of hosted partitions (absent on a single broker, which behaves as before). */
  readonly replication: Replication | undefined;

  constructor(opts: {
    logs: LogManager;
    log: Logger;
    nodeId: number;
    topicConfig: (overrides: Readonly<Record<string, string>>) => TopicConfig;
    replication?: ReplicationOptions;
  }) {
    this.replication = opts.replication ? new Replication(opts.replication, (p) => this.wake(p.key)) : undefined;
    this.logs = opts.logs;
    this.log = opts.log;
    this.nodeId = opts.nodeId;
    this.topicConfig = opts.topicConfig;
  }

  /**
   * Brings hosted partitions in line with the image: create logs for new ones, delete removed topics' logs.
   * Many new partitions (thousands of topics auto-created, or a start with a large image) are created CREATE_CHUNK
   * at a time, yielding to the event loop between chunks; a partition asked for before its turn is created then
   * (get), so nobody sees the difference except requests that are no longer held up for seconds. A later image
   * updates (or, for a removed topic, cancels) what is still waiting.
   */
  applyImage(image: MetadataImage, previous: MetadataImage | undefined): void {
    // Topics with the same overrides (most have none) share one resolved config within this call.
    const memo = new Map<string, TopicConfig>();
    const configOf = (overrides: Readonly<Record<string, string>>): TopicConfig => {
      const key = JSON.stringify(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      let c = memo.get(key);
      if (c === undefined) {
        c = this.topicConfig(overrides);
        memo.set(key, c);
      }
      return c;
    };
    for (const t of image.topics.values()) {
      const prev = previous?.topics.get(t.name);
      if (prev === t) continue;
      const cfg = configOf(t.configs);
      for (const p of t.partitions) {
        if (!p.replicas.includes(this.nodeId)) {
          // A reassignment moved this replica away: stop replicating it and delete its log, as Kafka does.
          if (prev?.partitions[p.partition]?.replicas.includes(this.nodeId)) this.removePartition(t, p.partition);
          continue;
        }
        const key = `${t.name}-${p.partition}`;
        const existing = this.partitions.get(key);
        if (existing && existing.topicId === t.id) {
          if (this.leads(p)) existing.makeLeader(p.leaderEpoch);
          else existing.makeFollower(p.leaderEpoch);
          existing.config = cfg;
          existing.log.updateConfig(toLogConfig(cfg));
          this.applyReplication(existing, p);
          continue;
        }
        // New, or still waiting from an earlier image: the latest partition info and config win.
        this.pending.set(key, { topic: t, partition: p, config: cfg });
      }
    }
    if (previous) {
      for (const t of previous.topics.values()) {
        const now = image.topics.get(t.name);
        if (now && now.id === t.id) continue;
        this.removeTopic(t);
      }
    }
    // After the removals: a topic deleted and created again gets a new log, not the deleted one's.
    this.createPending(CREATE_CHUNK);
  }

  /** Creates up to `n` pending partitions; schedules the rest for the next turn of the event loop. */
  private createPending(n: number): void {
    let done = 0;
    for (const key of this.pending.keys()) {
      if (done++ >= n) break;
      this.createOne(key);
    }
    // The new partition directories are made durable with one fsync per log dir, not one per partition.
    this.logs.syncCreatedDirs();
    if (this.pending.size > 0 && !this.createScheduled && !this.closed) {
      this.createScheduled = true;
      setImmediate(() => {
        this.createScheduled = false;
        if (!this.closed) this.createPending(CREATE_CHUNK);
      });
    }
  }

  private createAllPending(): void {
    if (this.pending.size > 0) this.createPending(Number.POSITIVE_INFINITY);
  }

  private createOne(key: string): Partition | undefined {
    const w = this.pending.get(key);
    if (w === undefined) return undefined;
    this.pending.delete(key);
    const { topic: t, partition: p, config: cfg } = w;
    try {
      const log = this.logs.getOrCreate(t.name, p.partition, toLogConfig(cfg), { deferDirSync: true });
      const part = new Partition({
        topic: t.name,
        topicId: t.id,
        index: p.partition,
        log,
        leaderEpoch: p.leaderEpoch,
        config: cfg,
        logger: this.log,
        txnVerifier: (pid, epoch, topic, partition) =>
          this.txnVerifier?.(pid, epoch, topic, partition) ?? ErrorCode.NONE,
      });
      this.partitions.set(key, part);
      if (this.leads(p)) part.makeLeader(p.leaderEpoch);
      else part.makeFollower(p.leaderEpoch);
      this.applyReplication(part, p);
      return part;
    } catch (e) {
      this.log.error({ partition: key, err: e }, 'could not create the partition log');
      return undefined;
    }
  }

  private applyReplication(part: Partition, p: PartitionInfo): void {
    if (this.replication === undefined) return;
    try {
      this.replication.apply(part, p);
      // A replica whose log is offline does not fetch (its role may just have become follower).
      if (part.log.isOffline) this.replication.stopFetching(part);
    } catch (e) {
      this.log.error({ partition: part.key, err: e }, 'could not apply the partition state to its replica');
    }
  }

  /**
   * A log dir failed (the broker keeps running on its others): the partitions whose logs are offline stop fetching;
   * they answer KAFKA_STORAGE_ERROR until the controller moves their leadership away. Returns how many there are.
   */
  logsWentOffline(): number {
    let n = 0;
    for (const p of this.partitions.values()) {
      if (!p.log.isOffline) continue;
      this.replication?.stopFetching(p);
      n++;
    }
    return n;
  }

  /** Partitions hosted here (created or still to create). */
  get count(): number {
    return this.partitions.size + this.pending.size;
  }

  /** The image makes this broker the partition's leader, and its registration is current (not resigned). */
  private leads(p: PartitionInfo): boolean {
    return p.leader === this.nodeId && !this.resigned;
  }

  /**
   * The session that made this broker a leader expired: it leads nothing until `resume`, once its image shows its
   * new registration (the images in between may still name it leader under its old registration, which the
   * controller is about to fence: leading then would take appends that the controller's next decision strands).
   */
  resignAll(): void {
    this.resigned = true;
    for (const p of this.partitions.values()) p.makeFollower(p.leaderEpoch);
    this.wakeAll();
  }

  /** The image shows this broker registered again (after resignAll): it leads what `image` says it leads. */
  resume(image: MetadataImage): void {
    this.resigned = false;
    this.applyImage(image, undefined);
  }

  /** Between resignAll and resume: leads nothing whatever the image says. */
  get isResigned(): boolean {
    return this.resigned;
  }

  private removeTopic(t: TopicInfo): void {
    for (const p of t.partitions) this.removePartition(t, p.partition);
    this.wakeAll();
  }

  /** Stops hosting one partition of `t` (its topic deleted, or its replica moved away) and deletes its log. */
  private removePartition(t: TopicInfo, partition: number): void {
    const key = `${t.name}-${partition}`;
    if (this.pending.get(key)?.topic.id === t.id) this.pending.delete(key);
    const part = this.partitions.get(key);
    if (!part || part.topicId !== t.id) return;
    this.partitions.delete(key);
    this.replication?.remove(part);
    this.logs.delete(t.name, partition);
  }

  get(topic: string, partition: number): Partition | undefined {
    const key = `${topic}-${partition}`;
    const p = this.partitions.get(key);
    if (p !== undefined || this.pending.size === 0) return p;
    const created = this.createOne(key);
    if (created !== undefined) this.logs.syncCreatedDirs();
    return created;
  }

  all(): IterableIterator<Partition> {
    this.createAllPending();
    return this.partitions.values();
  }

  /**
   * Appends a producer's records. In a cluster, acks=all (-1) first needs min.insync.replicas in the ISR
   * (NOT_ENOUGH_REPLICAS, nothing appended) and then answers once the HW has passed the records (or with
   * REQUEST_TIMED_OUT after `timeoutMs`): the answer is then a promise.
   */
  produce(
    topic: string,
    partition: number,
    records: Buffer | null,
    now: number,
    acks = 1,
    timeoutMs = 30_000,
  ): ProduceOutcome | Promise<ProduceOutcome> {
    const p = this.get(topic, partition);
    if (!p) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
    const repl = this.replication;
    if (!p.isLeader || (repl !== undefined && !repl.leads(p)))
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `This broker does not lead ${p.key}` };
    if (records === null || records.length === 0)
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'Produce request has no records' };
    if (repl !== undefined && acks === -1) {
      const code = repl.checkProduce(p, acks);
      if (code !== ErrorCode.NONE)
        return {
          errorCode: code,
          errorMessage: `The in-sync replicas of ${p.key} are fewer than min.insync.replicas ${p.config.minInsyncReplicas}`,
        };
    }
    try {
      const r = p.appendAsLeader(records, now);
      this.wake(p.key);
      if (repl !== undefined && acks === -1) {
        const lastOffset = p.log.logEndOffset - 1;
        return repl
          .waitForIsr(p, lastOffset, timeoutMs)
          .then((code) =>
            code === ErrorCode.NONE
              ? { ...r, errorCode: code, errorMessage: null }
              : { errorCode: code, errorMessage: `${p.key}: the in-sync replicas did not all get the records` },
          );
      }
      return { ...r, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (e) {
      const recordErrors = e instanceof RecordValidationError ? e.recordErrors : undefined;
      return { ...errorOf(e, this.log, p.key), logStartOffset: p.log.logStartOffset, recordErrors };
    }
  }

  /** Reads once; a fetch that has less than minBytes waits for appends until maxWaitMs. */
  async fetch(params: FetchParams): Promise<FetchResult> {
    const deadline = Date.now() + params.maxWaitMs;
    const arena = this.readBuffers.arena();
    try {
      for (;;) {
        const results = this.readOnce(params, arena.alloc);
        const bytes = results.reduce((n, r) => n + (r.records?.length ?? 0), 0);
        // An error or a preferred read replica (KIP-392) is answered at once.
        const hasError = results.some((r) => r.errorCode !== ErrorCode.NONE || (r.preferredReadReplica ?? -1) >= 0);
        const remaining = deadline - Date.now();
        if (bytes >= params.minBytes || hasError || remaining <= 0 || this.closed || params.partitions.length === 0) {
          if (this.replication !== undefined && (params.replicaId ?? -1) >= 0) this.recordThrottled(params, results);
          return { partitions: results, release: () => arena.release() };
        }
        arena.reset();
        await this.waitForAppend(
          remaining,
          params.partitions.map((x) => `${x.topic}-${x.partition}`),
        );
      }
    } catch (e) {
      arena.release();
      throw e;
    }
  }

  /** A follower fetch's answer: the bytes of leader-throttled partitions count against the leader quota. */
  private recordThrottled(params: FetchParams, results: FetchPartitionResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const n = results[i]!.records?.length ?? 0;
      if (n === 0) continue;
      const req = params.partitions[i]!;
      const p = this.partitions.get(`${req.topic}-${req.partition}`);
      if (p !== undefined) this.replication!.throttles.recordLeaderBytes(p, n);
    }
  }

  private readOnce(params: FetchParams, alloc: ReadAlloc): FetchPartitionResult[] {
    let budget = params.maxBytes;
    let first = true;
    return params.partitions.map((req) => {
      const p = this.get(req.topic, req.partition);
      if (!p) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      if (this.replication !== undefined && (params.replicaId ?? -1) >= 0) {
        const r = this.readForFollower(p, req, params.replicaId!, Math.max(0, Math.min(req.maxBytes, budget)), alloc);
        budget -= r.records?.length ?? 0;
        return r;
      }
      // KIP-392: a consumer's v11+ fetch may read from a follower in a cluster (up to the follower's HW).
      const fromFollower = !p.isLeader && this.replication !== undefined && params.clientRack !== undefined;
      if (!p.isLeader && !fromFollower) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      if (req.currentLeaderEpoch >= 0 && req.currentLeaderEpoch !== p.leaderEpoch)
        return {
          errorCode:
            req.currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH,
        };
      if (p.isLeader && this.replication !== undefined && params.clientRack !== undefined) {
        const preferred = this.replication.preferredReadReplica(p, req.fetchOffset, params.clientRack);
        if (preferred >= 0)
          return {
            errorCode: ErrorCode.NONE,
            highWatermark: p.log.highWatermark,
            lastStableOffset: p.lastStableOffset,
            logStartOffset: p.log.logStartOffset,
            preferredReadReplica: preferred,
          };
      }
      try {
        const limit = Math.max(0, Math.min(req.maxBytes, budget));
        const r = p.read(req.fetchOffset, limit, first, params.magic, params.readCommitted === true, alloc);
        if (r.records.length > 0) first = false;
        budget -= r.records.length;
        return { ...r, errorCode: ErrorCode.NONE };
      } catch (e) {
        const err = errorOf(e, this.log, p.key);
        return {
          errorCode: err.errorCode,
          highWatermark: p.log.highWatermark,
          lastStableOffset: p.lastStableOffset,
          logStartOffset: p.log.logStartOffset,
        };
      }
    });
  }

  /** A follower's fetch: the leader core checks it (epoch, divergence) and records its progress; records are read
   * up to the log end. */
  private readForFollower(
    p: Partition,
    req: FetchPartitionRequest,
    replicaId: number,
    maxBytes: number,
    alloc: ReadAlloc,
  ): FetchPartitionResult {
    const res = this.replication!.fetchFromFollower(p, {
      replicaId,
      currentLeaderEpoch: req.currentLeaderEpoch,
      fetchOffset: req.fetchOffset,
      lastFetchedEpoch: req.lastFetchedEpoch ?? -1,
    });
    const base = {
      highWatermark: res.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.log.logStartOffset,
    };
    if (res.error !== ErrorCode.NONE) return { ...base, errorCode: res.error };
    if (req.logStartOffset !== undefined)
      this.replication!.readReplicas.noteFollowerLogStart(p, replicaId, req.logStartOffset);
    if (res.divergingEpoch !== undefined)
      return { ...base, errorCode: ErrorCode.NONE, divergingEpoch: res.divergingEpoch };
    // Replication throttle: a throttled replica out of the ISR gets nothing while the leader quota is exceeded.
    if (this.replication!.leaderThrottles(p, replicaId)) return { ...base, errorCode: ErrorCode.NONE };
    try {
      const end = p.log.logEndOffset;
      const { records } = p.log.read(res.readFrom, maxBytes, end, true, alloc);
      return { ...base, records, errorCode: ErrorCode.NONE };
    } catch (e) {
      return { ...base, errorCode: errorOf(e, this.log, p.key).errorCode };
    }
  }

  /** Waits until one of `keys` gets an append (or its HW moves), anything wakes every waiter, or `ms` pass. */
  private waitForAppend(ms: number, keys: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        for (const k of keys) {
          const set = this.waitersByPartition.get(k);
          set?.delete(done);
          if (set?.size === 0) this.waitersByPartition.delete(k);
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      for (const k of keys) {
        let set = this.waitersByPartition.get(k);
        if (set === undefined) {
          set = new Set();
          this.waitersByPartition.set(k, set);
        }
        set.add(done);
      }
    });
  }

  /** Wakes the fetches waiting on partition `key` (an append, a HW move). */
  private wake(key: string): void {
    const set = this.waitersByPartition.get(key);
    if (set !== undefined) for (const w of [...set]) w();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Writes a transaction marker into a hosted partition (the transaction coordinator's WriteTxnMarkers). */
  writeMarker(
    topic: string,
    partition: number,
    m: {
      commit: boolean;
      producerId: number;
      producerEpoch: number;
      coordinatorEpoch: number;
      transactionVersion: number;
    },
    now: number,
  ): number {
    const p = this.get(topic, partition);
    if (!p) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    // Only the leader writes markers (a coordinator with an old view sends them again to the new leader).
    if (!p.isLeader || (this.replication !== undefined && !this.replication.leads(p)))
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    try {
      p.appendMarker(
        m.commit ? 'COMMIT' : 'ABORT',
        m.producerId,
        m.producerEpoch,
        m.coordinatorEpoch,
        m.transactionVersion,
        now,
      );
      this.wake(p.key);
      return ErrorCode.NONE;
    } catch (e) {
      return errorOf(e, this.log, p.key).errorCode;
    }
  }

  /** producer.id.expiration.ms task. */
  expireProducers(now: number, expirationMs: number): void {
    for (const p of this.partitions.values()) {
      try {
        p.expireProducers(now, expirationMs);
      } catch (e) {
        this.log.error({ partition: p.key, err: e }, 'producer expiration failed');
      }
    }
  }

  /**
   * Snapshots every partition's producer state (clean shutdown), so a restart replays nothing; the fsyncs run in
   * parallel on the thread pool (SHUTDOWN_SNAPSHOTS at a time).
   */
  async snapshotProducers(): Promise<void> {
    const fsyncs = new FsyncLimiter(SHUTDOWN_SNAPSHOTS);
    const queue = [...this.partitions.values()].filter((p) => !p.log.isOffline);
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const p = queue[next++]!;
        try {
          await p.snapshotProducersAsync((path) => fsyncs.fsync(path));
        } catch (e) {
          this.log.error({ partition: p.key, err: e }, 'producer snapshot failed');
        }
      }
    };
    await Promise.all(Array.from({ length: SHUTDOWN_SNAPSHOTS }, worker));
  }

  /**
   * DeleteRecords: advances the log start offset to `offset` (-1 = the high watermark). Answers the new low
   * watermark, OFFSET_OUT_OF_RANGE above the high watermark, POLICY_VIOLATION for a topic without the delete policy
   * (as Kafka), KAFKA_STORAGE_ERROR for an offline log.
   */
  deleteRecords(topic: string, partition: number, offset: number): { lowWatermark: number; errorCode: number } {
    const p = this.get(topic, partition);
    if (!p) return { lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (!p.config.deleteEnabled) return { lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION };
    try {
      const target = offset === -1 ? p.log.highWatermark : offset;
      if (target < 0) return { lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      const deleted = p.log.deleteRecordsBefore(target);
      if (deleted.length > 0 || target > 0) {
        this.log.info(
          { partition: p.key, logStartOffset: p.log.logStartOffset, segments: deleted.length },
          'records deleted',
        );
      }
      this.wakeAll();
      return { lowWatermark: p.log.logStartOffset, errorCode: ErrorCode.NONE };
    } catch (e) {
      return { lowWatermark: -1, errorCode: errorOf(e, this.log, p.key).errorCode };
    }
  }

  /** Makes moved log start offsets durable now (DeleteRecords) rather than at the next periodic checkpoint. */
  checkpointLogStartOffsets(): void {
    this.logs.checkpoint();
  }

  close(): void {
    this.closed = true;
    this.replication?.checkpoint();
    this.replication?.close();
    this.wakeAll();
  }
}

export function errorOf(e: unknown, log: Logger, where: string): { errorCode: number; errorMessage: string | null } {
  if (e instanceof OffsetOutOfRangeError) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, errorMessage: e.message };
  if (e instanceof KafkaError || e instanceof RecordsError || e instanceof StorageError) {
    if (e.code === ErrorCode.KAFKA_STORAGE_ERROR) log.error({ partition: where, err: e.message }, 'storage error');
    return { errorCode: e.code, errorMessage: e.message };
  }
  log.error({ partition: where, err: e }, 'unexpected error');
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: e instanceof Error ? e.message : String(e) };
}

export function toLogConfig(c: TopicConfig): LogConfig {
  return {
    segmentJitterMs: c.segmentJitterMs,
    messageTimestampType: c.messageTimestampType,
    deleteEnabled: c.deleteEnabled,
    compact: c.compact,
    deleteRetentionMs: c.deleteRetentionMs,
    minCleanableDirtyRatio: c.minCleanableDirtyRatio,
    minCompactionLagMs: c.minCompactionLagMs,
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    indexIntervalBytes: c.indexIntervalBytes,
    segmentIndexBytes: c.segmentIndexBytes,
    retentionMs: c.retentionMs,
    retentionBytes: c.retentionBytes,
    flushMessages: c.flushMessages,
    flushMs: c.flushMs,
    fileDeleteDelayMs: c.fileDeleteDelayMs,
  };
}
