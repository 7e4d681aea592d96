// Drives the group state machines (one GroupShard per __consumer_offsets partition): creates the offsets topic,
// loads shards by replaying their partitions, appends each operation's records through the partition log and
// answers only after the append, and runs the timers the shards ask for.

import { randomUUID } from 'node:crypto';
import type { Partition } from '../../broker/partition.ts';
import type { ReplicaManager } from '../../broker/replica-manager.ts';
import type { BrokerConfig } from '../../config/broker-config.ts';
import { consumerGroupOverrides } from '../../config/group-config.ts';
import type { MetadataController } from '../../metadata/controller.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { buildBatch, iterateRecords, parseControlRecord } from '../../records/index.ts';
import type { Logger } from '../../util/log.ts';
import { awaitCommitted } from '../commit-wait.ts';
import { ensureInternalTopic, storedBatches } from '../internal-topic.ts';
import { isShareGroupKey } from '../share/group-records.ts';
import type { ConsumerGroup, ConsumerHeartbeatRequest, ConsumerHeartbeatResponse, TopicsView } from './consumer.ts';
import { type CoordinatorRecord, decodeRecord, OFFSETS_TOPIC, partitionForGroup } from './records.ts';
import {
  type CommitRequest,
  type Effects,
  type FetchedOffset,
  type GroupConfig,
  type GroupDescription,
  GroupShard,
  type JoinRequest,
  type JoinResult,
  type PartitionResult,
  type SyncRequest,
  type SyncResult,
} from './shard.ts';

/**
 * Share groups (KIP-932) are kept by the share runtime but stored in __consumer_offsets: it gets the share-group
 * records of each partition this coordinator loads (in log order), and is told when a partition is unloaded.
 */
export interface ShareGroupStore {
  load(partition: number, records: CoordinatorRecord[]): void;
  unload(partition: number): void;
}

export interface GroupRuntimeOptions {
  config: BrokerConfig;
  controller: MetadataController;
  replicas: ReplicaManager;
  log: Logger;
  clock: () => number;
}

export class GroupCoordinatorRuntime {
  private readonly shards = new Map<number, GroupShard>();
  /** The leader epoch each shard was loaded in: the coordinator epoch (a shard of an older epoch is stale). */
  private readonly shardEpochs = new Map<number, number>();
  /** Cluster mode: shards loaded with records not all committed yet (COORDINATOR_LOAD_IN_PROGRESS until they are). */
  private readonly loadingShards = new Set<number>();
  private readonly waiters = new Map<number, (r: JoinResult | SyncResult) => void>();
  private readonly timers = new Map<string, { shard: number; at: number; handle: NodeJS.Timeout }>();
  private readonly opts: GroupRuntimeOptions;
  private readonly groupConfig: GroupConfig;
  private nextToken = 1;
  /** Offsets committed inside open transactions, by `<partition>:<producerId>`: applied at the COMMIT marker. */
  private readonly pendingTxnOffsets = new Map<string, CoordinatorRecord[]>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private shareStore: ShareGroupStore | undefined;

  constructor(opts: GroupRuntimeOptions) {
    this.opts = opts;
    const c = opts.config;
    this.groupConfig = {
      minSessionTimeoutMs: c.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: c.groupMaxSessionTimeoutMs,
      initialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      maxSize: c.groupMaxSize,
      offsetsRetentionMs: c.offsetsRetentionMs,
      maxMetadataBytes: Number(c.get('offset.metadata.max.bytes') ?? 4096),
      consumer: {
        sessionTimeoutMs: Number(c.get('group.consumer.session.timeout.ms') ?? 45_000),
        heartbeatIntervalMs: Number(c.get('group.consumer.heartbeat.interval.ms') ?? 5_000),
        maxSize: Number(c.get('group.consumer.max.size') ?? 2147483647),
        // GROUP config resources (consumer.session.timeout.ms, consumer.heartbeat.interval.ms) in cluster metadata.
        groupConfig: (groupId: string) => consumerGroupOverrides(opts.controller.image.groupConfigs.get(groupId)),
        assignors: ((c.get('group.consumer.assignors') as string[] | null) ?? ['uniform', 'range']).map((a) =>
          // Kafka accepts class names too: keep the simple name.
          a.endsWith('UniformAssignor') ? 'uniform' : a.endsWith('RangeAssignor') ? 'range' : a,
        ),
      },
    };
  }

  /** Loads every hosted __consumer_offsets partition and starts the offset-expiry task. */
  start(): void {
    if (this.opts.controller.image.topics.has(OFFSETS_TOPIC)) this.loadAll();
    const every = Math.max(100, this.opts.config.offsetsRetentionCheckIntervalMs);
    this.expiryTimer = setInterval(() => this.expireOffsets(), every);
    this.expiryTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
    for (const [token, w] of this.waiters) {
      this.waiters.delete(token);
      // Shape of both a JoinGroup and a SyncGroup answer: the handler reads whichever it needs.
      w({
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        generationId: -1,
        protocolType: null,
        protocolName: null,
        leader: '',
        skipAssignment: false,
        memberId: '',
        members: [],
        assignment: Buffer.alloc(0),
      } as JoinResult & SyncResult);
    }
  }

  get numPartitions(): number {
    return (
      this.opts.controller.image.topics.get(OFFSETS_TOPIC)?.partitions.length ??
      this.opts.config.offsetsTopicNumPartitions
    );
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.numPartitions);
  }

  /**
   * Whether this broker coordinates `groupId`: in a cluster, the leader of the group's __consumer_offsets partition
   * (what FindCoordinator answers); a single broker coordinates every group. For coordinators that keep no shard
   * here (share groups) but must answer NOT_COORDINATOR elsewhere, as Kafka's do.
   */
  coordinates(groupId: string): boolean {
    if (this.opts.replicas.replication === undefined) return true;
    if (!this.ensureTopic()) return false;
    return this.opts.replicas.get(OFFSETS_TOPIC, this.partitionFor(groupId))?.isLeader === true;
  }

  /** Creates __consumer_offsets (compacted) on first use; returns false when it cannot be created yet. */
  ensureTopic(): boolean {
    const { controller, config, log } = this.opts;
    if (controller.image.topics.has(OFFSETS_TOPIC)) {
      if (this.shards.size === 0) this.loadAll();
      return true;
    }
    const created = ensureInternalTopic(controller, log, {
      name: OFFSETS_TOPIC,
      partitions: config.offsetsTopicNumPartitions,
      replicationFactor: config.offsetsTopicReplicationFactor,
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'producer',
        'segment.bytes': String(config.offsetsTopicSegmentBytes),
      },
    });
    if (created) this.loadAll();
    return created;
  }

  private loadAll(): void {
    const t = this.opts.controller.image.topics.get(OFFSETS_TOPIC);
    if (!t) return;
    for (const p of t.partitions) if (!this.shards.has(p.partition)) this.loadShard(p.partition);
  }

  /** Replays one partition into a fresh shard: the last value per key wins, tombstones delete. */
  private loadShard(partition: number): void {
    const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
    // Only the partition's leader coordinates its groups (another broker's requests get NOT_COORDINATOR).
    if (!part?.isLeader) return;
    const now = this.opts.clock();
    const shard = new GroupShard(partition, this.groupConfig, randomUUID);
    // Offsets of open transactions are rebuilt from the log too: what an earlier stint as leader held may have been
    // truncated since, or ended by a marker another leader wrote.
    this.dropPendingTxnOffsets(partition);
    let records = 0;
    const share: CoordinatorRecord[] = [];
    for (const { batch, header, from } of storedBatches(part.log)) {
      if (header.baseOffset < from) continue;
      if (header.isTransactional) {
        this.replayTransactional(partition, shard, batch, header.producerId, header.isControl, now);
        continue;
      }
      if (header.isControl) continue;
      for (const rec of iterateRecords(batch)) {
        if (rec.key === null) continue;
        if (isShareGroupKey(rec.key)) {
          share.push({ key: rec.key, value: rec.value });
          records++;
          continue;
        }
        try {
          shard.replay(rec.key, rec.value, now);
          records++;
        } catch (err) {
          // A record we cannot decode must not keep the broker from starting: skip it, loudly.
          this.opts.log.error(
            { partition, offset: rec.offset, err: (err as Error).message },
            'skipping an undecodable __consumer_offsets record',
          );
        }
      }
    }
    this.shards.set(partition, shard);
    this.shareStore?.load(partition, share);
    this.awaitLoaded(partition, part);
    this.shardEpochs.set(partition, part.leaderEpoch);
    void this.apply(partition, shard.loaded(now));
    if (records > 0)
      this.opts.log.info({ partition, records, groups: shard.groups.size }, 'loaded group coordinator partition');
  }

  /**
   * A new leader replays its whole log (as Kafka), records beyond the HW included: it answers for the shard's groups
   * only once the HW has reached what it loaded (a single broker's HW is its log end: at once).
   */
  private awaitLoaded(partition: number, part: Partition): void {
    const end = part.log.logEndOffset;
    if (end <= part.log.highWatermark) return;
    const waited = awaitCommitted(this.opts.replicas, part, end - 1, this.opts.config.offsetsCommitTimeoutMs);
    if (!(waited instanceof Promise)) return;
    this.loadingShards.add(partition);
    void waited.then((code) => {
      if (!this.loadingShards.delete(partition) || code === ErrorCode.NONE) return;
      // Not committed in time or leadership lost: drop the shard; the next request loads it again.
      this.shards.delete(partition);
      this.shardEpochs.delete(partition);
      this.shareStore?.unload(partition);
    });
  }

  /**
   * Share groups are stored here from now on: `store` gets the share-group records of every partition loaded (those
   * loaded already at once, read again from their logs).
   */
  attachShareGroups(store: ShareGroupStore): void {
    this.shareStore = store;
    for (const partition of this.shards.keys()) {
      const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
      if (!part) continue;
      const share: CoordinatorRecord[] = [];
      for (const { batch, header, from } of storedBatches(part.log)) {
        if (header.baseOffset < from || header.isControl || header.isTransactional) continue;
        for (const rec of iterateRecords(batch)) {
          if (rec.key !== null && isShareGroupKey(rec.key)) share.push({ key: rec.key, value: rec.value });
        }
      }
      store.load(partition, share);
    }
  }

  /**
   * The __consumer_offsets partition of a share group, loaded (its share groups handed to the store): throws
   * NOT_COORDINATOR elsewhere than its leader, COORDINATOR_LOAD_IN_PROGRESS while it loads.
   */
  loadShareGroup(groupId: string): number {
    return this.shardFor(groupId).partition;
  }

  /** Appends a share group's records to its partition: NONE or the coordinator's error once they are committed. */
  appendShareRecords(groupId: string, records: CoordinatorRecord[]): number | Promise<number> {
    if (records.length === 0) return ErrorCode.NONE;
    try {
      return this.appendCommitted(this.shardFor(groupId).partition, records);
    } catch (e) {
      if (e instanceof KafkaError) return e.code;
      throw e;
    }
  }

  /**
   * Drops the shards of __consumer_offsets partitions this broker no longer leads, or leads in a newer leader epoch
   * than the shard was loaded in (the leadership went away and came back: others may have written), with their
   * timers: the groups' next requests here get NOT_COORDINATOR and find the new leader, whose coordinator replays
   * the partition when first asked (Kafka's onResignation / onElection, the leader epoch as coordinator epoch).
   */
  resignMoved(): void {
    for (const partition of [...this.shards.keys()]) {
      const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
      if (part?.isLeader && part.leaderEpoch === this.shardEpochs.get(partition)) continue;
      this.shards.delete(partition);
      this.shardEpochs.delete(partition);
      this.loadingShards.delete(partition);
      this.dropPendingTxnOffsets(partition);
      this.shareStore?.unload(partition);
      for (const [key, t] of this.timers)
        if (t.shard === partition) {
          clearTimeout(t.handle);
          this.timers.delete(key);
        }
      this.opts.log.info({ partition }, 'unloaded group coordinator partition (leadership moved)');
    }
  }

  private shardFor(groupId: string): { shard: GroupShard; partition: number } {
    if (!this.ensureTopic()) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'offsets topic not available');
    const partition = this.partitionFor(groupId);
    let shard = this.shards.get(partition);
    if (!shard) {
      this.loadShard(partition);
      shard = this.shards.get(partition);
    }
    if (!shard) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `not the coordinator of ${groupId}`);
    if (this.loadingShards.has(partition))
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${OFFSETS_TOPIC}-${partition} is loading`);
    return { shard, partition };
  }

  /**
   * Appends records and answers once they are committed (cluster: the HW passed them, as acks=all; a single broker at
   * once): NONE, or the coordinator's error (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, ...). Throws a KafkaError
   * when the log refuses the append itself.
   */
  private appendCommitted(partition: number, records: CoordinatorRecord[]): number | Promise<number> {
    const part = this.append(partition, records);
    if (part === undefined) return ErrorCode.NONE;
    return awaitCommitted(this.opts.replicas, part, part.log.logEndOffset - 1, this.opts.config.offsetsCommitTimeoutMs);
  }

  /** Appends records to the shard's partition; throws a KafkaError when the log refuses them. */
  private append(partition: number, records: CoordinatorRecord[]): Partition | undefined {
    if (records.length === 0) return undefined;
    const now = this.opts.clock();
    const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
    if (!part) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__consumer_offsets-${partition} is not hosted here`);
    const batch = buildBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })), now });
    try {
      part.appendAsLeader(batch, now);
    } catch (e) {
      this.opts.log.error({ partition, err: e }, 'append to __consumer_offsets failed');
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'could not write to __consumer_offsets');
    }
    return part;
  }

  /** Runs an operation's effects: append, then replies (errors if the append failed), then timers. */
  private apply(partition: number, fx: Effects): number | Promise<number> {
    let written: number | Promise<number>;
    try {
      written = this.appendCommitted(partition, fx.records);
    } catch {
      written = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const reply = (code: number) => {
      for (const r of fx.replies) {
        const w = this.waiters.get(r.token);
        if (!w) continue;
        this.waiters.delete(r.token);
        w(code !== ErrorCode.NONE ? { ...r.response, errorCode: code } : r.response);
      }
    };
    // In a cluster the replies (JoinGroup, SyncGroup with the assignment) go out once the records are committed.
    if (written instanceof Promise) void written.then(reply);
    else reply(written);
    for (const t of fx.timers) this.arm(partition, t.key, t.at);
    return written;
  }

  private arm(partition: number, key: string, at: number): void {
    if (this.closed) return;
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.handle);
    const handle = setTimeout(
      () => {
        this.timers.delete(key);
        const shard = this.shards.get(partition);
        if (!shard) return;
        try {
          void this.apply(partition, shard.onTimer(key, this.opts.clock()));
        } catch (e) {
          this.opts.log.error({ err: e, key }, 'group timer failed');
        }
      },
      Math.max(0, at - this.opts.clock()),
    );
    handle.unref();
    this.timers.set(key, { shard: partition, at, handle });
  }

  private wait<T extends JoinResult | SyncResult>(run: (token: number) => void): Promise<T> {
    const token = this.nextToken++;
    const p = new Promise<T>((resolve) => this.waiters.set(token, resolve as (r: JoinResult | SyncResult) => void));
    try {
      run(token);
    } catch (e) {
      this.waiters.delete(token);
      throw e;
    }
    return p;
  }

  // ---- operations used by handlers ------------------------------------------------------------------------------

  joinGroup(req: JoinRequest): Promise<JoinResult> {
    const { shard, partition } = this.shardFor(req.groupId);
    return this.wait<JoinResult>((token) => this.apply(partition, shard.joinGroup(req, token, this.opts.clock())));
  }

  syncGroup(req: SyncRequest): Promise<SyncResult> {
    const { shard, partition } = this.shardFor(req.groupId);
    return this.wait<SyncResult>((token) => this.apply(partition, shard.syncGroup(req, token, this.opts.clock())));
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const { shard } = this.shardFor(groupId);
    return shard.heartbeat(groupId, memberId, groupInstanceId, generationId, this.opts.clock());
  }

  leaveGroup(groupId: string, members: Array<{ memberId: string; groupInstanceId: string | null }>) {
    const { shard, partition } = this.shardFor(groupId);
    const r = shard.leaveGroup(groupId, members, this.opts.clock());
    const written = this.apply(partition, r.fx);
    // Answered once the group's new state is committed (in a cluster).
    const done = (code: number) => (code === ErrorCode.NONE ? r : { ...r, errorCode: code });
    return written instanceof Promise ? written.then(done) : done(written);
  }

  /** OffsetCommit: the offsets are visible (OffsetFetch) and answered once committed (in a cluster, the HW). */
  commitOffsets(req: CommitRequest): PartitionResult[] | Promise<PartitionResult[]> {
    const { shard, partition } = this.shardFor(req.groupId);
    const now = this.opts.clock();
    const { records, results } = shard.commitOffsets(req, now);
    const failed = (code: number) =>
      results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: code } : r));
    let written: number | Promise<number>;
    try {
      written = this.appendCommitted(partition, records);
    } catch (e) {
      return failed(e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    const done = (code: number) => {
      if (code !== ErrorCode.NONE) return failed(code);
      for (const r of records) shard.replay(r.key, r.value, now, true);
      return results;
    };
    return written instanceof Promise ? written.then(done) : done(written);
  }

  /**
   * Partitions of `groupId` with an offset committed inside a transaction that has not ended yet (OffsetFetch with
   * require_stable answers UNSTABLE_OFFSET_COMMIT for them), as `topic\0partition` keys.
   */
  pendingTransactionalOffsets(groupId: string): Set<string> {
    const out = new Set<string>();
    const prefix = `${this.partitionFor(groupId)}:`;
    for (const [key, records] of this.pendingTxnOffsets) {
      if (!key.startsWith(prefix)) continue;
      for (const r of records) {
        try {
          const d = decodeRecord(r.key, r.value);
          if (d.type === 'offset' && d.group === groupId) out.add(`${d.topic}\0${d.partition}`);
        } catch {
          // undecodable pending records never become offsets
        }
      }
    }
    return out;
  }

  fetchOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }> | null): FetchedOffset[] {
    return this.shardFor(groupId).shard.fetchOffsets(groupId, partitions);
  }

  /** OffsetDelete: the offsets are gone (and answered) once the tombstones are committed. */
  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>) {
    const { shard, partition } = this.shardFor(groupId);
    const r = shard.deleteOffsets(groupId, partitions);
    if (r.records.length === 0) return r;
    let written: number | Promise<number>;
    try {
      written = this.appendCommitted(partition, r.records);
    } catch (e) {
      return { ...r, errorCode: e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR };
    }
    const done = (code: number) => {
      if (code !== ErrorCode.NONE) return { ...r, errorCode: code };
      const now = this.opts.clock();
      for (const rec of r.records) shard.replay(rec.key, rec.value, now, true);
      return r;
    };
    return written instanceof Promise ? written.then(done) : done(written);
  }

  /** DeleteGroups (one group): answered once its tombstones are committed. */
  deleteGroup(groupId: string): number | Promise<number> {
    const { shard, partition } = this.shardFor(groupId);
    const now = this.opts.clock();
    const r = shard.deleteGroup(groupId, now);
    if (r.errorCode !== ErrorCode.NONE) return r.errorCode;
    let written: number | Promise<number>;
    try {
      written = this.appendCommitted(partition, r.records);
    } catch (e) {
      return e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const done = (code: number) => {
      if (code !== ErrorCode.NONE) return code;
      for (const rec of r.records) shard.replay(rec.key, rec.value, now, true);
      return ErrorCode.NONE;
    };
    return written instanceof Promise ? written.then(done) : done(written);
  }

  describeGroup(groupId: string): GroupDescription | null {
    return this.shardFor(groupId).shard.describe(groupId);
  }

  /** ConsumerGroupHeartbeat (KIP-848): answered once the records are committed (in a cluster, the HW). */
  consumerGroupHeartbeat(
    req: ConsumerHeartbeatRequest,
  ): ConsumerHeartbeatResponse | Promise<ConsumerHeartbeatResponse> {
    const { shard, partition } = this.shardFor(req.groupId);
    const image = this.opts.controller.image;
    const topics: TopicsView = {
      get: (name) => {
        const t = image.topics.get(name);
        return t && name !== OFFSETS_TOPIC ? { id: t.id, numPartitions: t.partitions.length } : undefined;
      },
      *names() {
        for (const n of image.topics.keys()) if (!n.startsWith('__')) yield n;
      },
    };
    const r = shard.consumerHeartbeat(req, topics, this.opts.clock());
    const failed = (code: number): ConsumerHeartbeatResponse => ({
      ...r.response,
      errorCode: code,
      errorMessage: 'could not write to __consumer_offsets',
      assignment: null,
    });
    let written: number | Promise<number>;
    try {
      written = this.appendCommitted(partition, r.fx.records);
    } catch (e) {
      return failed(e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    for (const t of r.fx.timers) this.arm(partition, t.key, t.at);
    const done = (code: number) => (code === ErrorCode.NONE ? r.response : failed(code));
    return written instanceof Promise ? written.then(done) : done(written);
  }

  /** ConsumerGroupDescribe: the consumer group, 'classic' when the id is a classic group, null when unknown. */
  consumerGroup(groupId: string): { group: ConsumerGroup; state: string; assignor: string } | 'classic' | null {
    const { shard } = this.shardFor(groupId);
    const g = shard.consumer.groups.get(groupId);
    if (g) return { group: g, state: shard.consumer.state(g), assignor: shard.consumer.assignorOf(g) };
    const c = shard.groups.get(groupId);
    return c && c.state !== 'Dead' ? 'classic' : null;
  }

  validateFetchMember(groupId: string, memberId: string | null, memberEpoch: number): number {
    return this.shardFor(groupId).shard.validateFetchMember(groupId, memberId, memberEpoch);
  }

  listGroups(): Array<{ groupId: string; protocolType: string; state: string; type: 'classic' | 'consumer' }> {
    if (!this.opts.controller.image.topics.has(OFFSETS_TOPIC)) return [];
    this.loadAll();
    return [...this.shards.values()].flatMap((s) => s.list());
  }

  // ---- offsets committed in transactions (TxnOffsetCommit; used by the transaction coordinator) -------------------

  /** Load: transactional offset records wait for their marker; a COMMIT marker applies them, ABORT drops them. */
  private replayTransactional(
    partition: number,
    shard: GroupShard,
    batch: Buffer,
    producerId: number,
    isControl: boolean,
    now: number,
  ): void {
    const key = `${partition}:${producerId}`;
    if (!isControl) {
      const pending = this.pendingTxnOffsets.get(key) ?? [];
      for (const rec of iterateRecords(batch)) if (rec.key !== null) pending.push({ key: rec.key, value: rec.value });
      this.pendingTxnOffsets.set(key, pending);
      return;
    }
    const pending = this.pendingTxnOffsets.get(key) ?? [];
    this.pendingTxnOffsets.delete(key);
    for (const rec of iterateRecords(batch)) {
      if (parseControlRecord(rec.key, rec.value)?.type !== 'COMMIT') continue;
      for (const r of pending) shard.replay(r.key, r.value, now);
    }
  }

  /** Forgets the open transactions' offsets of one partition (unloaded, or about to be replayed). */
  private dropPendingTxnOffsets(partition: number): void {
    const prefix = `${partition}:`;
    for (const key of [...this.pendingTxnOffsets.keys()])
      if (key.startsWith(prefix)) this.pendingTxnOffsets.delete(key);
  }

  /**
   * TxnOffsetCommit: validates like OffsetCommit, then appends the offset records as a transactional batch of the
   * producer; they become visible when the transaction commits (completeTransactionalOffsets).
   */
  commitTransactionalOffsets(
    req: CommitRequest,
    producerId: number,
    producerEpoch: number,
  ): PartitionResult[] | Promise<PartitionResult[]> {
    const { shard, partition } = this.shardFor(req.groupId);
    const now = this.opts.clock();
    const { records, results } = shard.commitOffsets(req, now);
    if (records.length === 0) return results;
    const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
    let code: number | Promise<number> = ErrorCode.NONE;
    if (!part) code = ErrorCode.NOT_COORDINATOR;
    else {
      const batch = buildBatch({
        producerId,
        producerEpoch,
        baseSequence: 0,
        isTransactional: true,
        records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
        now,
      });
      try {
        part.appendAsCoordinator(batch, now);
        const last = part.log.logEndOffset - 1;
        code = awaitCommitted(this.opts.replicas, part, last, this.opts.config.offsetsCommitTimeoutMs);
      } catch (e) {
        code = e instanceof KafkaError ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    // Pending (applied by the transaction's COMMIT marker) once committed: the producer ends its transaction only
    // after this answer.
    const key = `${partition}:${producerId}`;
    const done = (c: number) => {
      if (c !== ErrorCode.NONE)
        return results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode: c } : r));
      this.pendingTxnOffsets.set(key, [...(this.pendingTxnOffsets.get(key) ?? []), ...records]);
      return results;
    };
    return code instanceof Promise ? code.then(done) : done(code);
  }

  /** The transaction's marker for a __consumer_offsets partition: written to the log, then offsets applied or dropped. */
  completeTransactionalOffsets(
    partition: number,
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    transactionVersion: number,
  ): number {
    const part = this.opts.replicas.get(OFFSETS_TOPIC, partition);
    if (!part) return ErrorCode.NOT_COORDINATOR;
    const now = this.opts.clock();
    try {
      part.appendMarker(commit ? 'COMMIT' : 'ABORT', producerId, producerEpoch, 0, transactionVersion, now);
    } catch (e) {
      return e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const key = `${partition}:${producerId}`;
    const pending = this.pendingTxnOffsets.get(key) ?? [];
    this.pendingTxnOffsets.delete(key);
    const shard = this.shards.get(partition);
    if (commit && shard) for (const r of pending) shard.replay(r.key, r.value, now, true);
    return ErrorCode.NONE;
  }

  /** Periodic offsets.retention.minutes task. */
  expireOffsets(): void {
    const now = this.opts.clock();
    for (const [partition, shard] of this.shards) {
      const records = shard.expireOffsets(now);
      if (records.length === 0) continue;
      try {
        this.append(partition, records);
      } catch {
        continue;
      }
      shard.applyExpiry(records, now);
      this.opts.log.info({ partition, records: records.length }, 'expired group offsets');
    }
  }
}
