// Committed offsets of one __consumer_offsets partition's groups: OffsetCommit / TxnOffsetCommit validation,
// OffsetFetch, OffsetDelete and offsets.retention.minutes expiry, as pure logic over the shard's classic groups
// (classic.ts) and consumer-protocol groups (consumer.ts). Commits return records; the cache changes only when a
// record is replayed (on load, and once a live commit is durable).
import { ErrorCode } from '../../protocol/errors.ts';
import type { ClassicGroups } from './classic.ts';
import type { ConsumerGroups } from './consumer.ts';
import { type CoordinatorRecord, groupRecord, type OffsetValue, offsetRecord } from './records.ts';

export interface CommitPartition {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  expireTimestamp: number;
}

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  partitions: CommitPartition[];
  /** OffsetCommit version: consumer-protocol groups need v9+ (generationId is then the member epoch). */
  apiVersion?: number;
  /**
   * TxnOffsetCommit: v0-v2 carry no member id or generation, so a commit without them is accepted even while the
   * group has members (the producer's consumer is one of them), as Kafka does.
   */
  transactional?: boolean;
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

export type StoredOffset = OffsetValue & { topic: string; partition: number };

/** The offset settings (a subset of the shard's GroupConfig). */
export interface OffsetsConfig {
  offsetsRetentionMs: number;
  maxMetadataBytes: number;
}

export class CommittedOffsets {
  /** group → "topic\0partition" → value. */
  readonly byGroup = new Map<string, Map<string, StoredOffset>>();
  private readonly config: OffsetsConfig;
  private readonly classic: ClassicGroups;
  private readonly consumer: ConsumerGroups;

  constructor(config: OffsetsConfig, classic: ClassicGroups, consumer: ConsumerGroups) {
    this.config = config;
    this.classic = classic;
    this.consumer = consumer;
  }

  /** Applies one offset record (a null value is a tombstone). Last value per key wins. */
  replay(group: string, topic: string, partition: number, value: OffsetValue | null): void {
    let m = this.byGroup.get(group);
    if (value === null) {
      m?.delete(`${topic}\0${partition}`);
      if (m && m.size === 0) this.byGroup.delete(group);
      return;
    }
    if (!m) {
      m = new Map();
      this.byGroup.set(group, m);
    }
    m.set(`${topic}\0${partition}`, { ...value, topic, partition });
  }

  /** Tombstones for every committed offset of `groupId`. */
  tombstones(groupId: string): CoordinatorRecord[] {
    return [...(this.byGroup.get(groupId)?.values() ?? [])].map((v) =>
      offsetRecord(groupId, v.topic, v.partition, null),
    );
  }

  /** Validates a commit; on success returns the records to append (the cache changes when they are replayed). */
  commit(req: CommitRequest, now: number): { records: CoordinatorRecord[]; results: PartitionResult[] } {
    const fail = (code: number) => ({
      records: [],
      results: req.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: code })),
    });
    const txn = req.transactional === true;
    const cg = this.consumer.groups.get(req.groupId);
    // KIP-1251: a consumer-group commit with an earlier member epoch may be accepted for some partitions only.
    let partitionOk: ((topic: string, partition: number) => boolean) | null = null;
    if (cg) {
      const check = this.consumer.validateCommit(cg, req.memberId, req.generationId, txn, req.groupInstanceId);
      let code = check.errorCode;
      partitionOk = check.partitionOk;
      if (code === ErrorCode.NONE && !txn && req.memberId !== '' && req.apiVersion !== undefined && req.apiVersion < 9)
        code = ErrorCode.UNSUPPORTED_VERSION;
      if (code !== ErrorCode.NONE) return fail(code);
    }
    const g = this.classic.groups.get(req.groupId);
    let code: number = ErrorCode.NONE;
    if (cg) {
      // validated above
    } else if (!g || g.state === 'Dead') {
      // No group: a commit without a generation (admin tools, manual assignment, a KIP-848 consumer that has not
      // joined: member id set, epoch -1) creates a simple group; one naming a generation cannot be right.
      if (req.generationId >= 0)
        code =
          !txn && req.apiVersion !== undefined && req.apiVersion >= 9
            ? ErrorCode.GROUP_ID_NOT_FOUND
            : ErrorCode.ILLEGAL_GENERATION;
      if (g?.state === 'Dead') code = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    } else if (req.generationId < 0 && g.state === 'Empty') {
      code = ErrorCode.NONE;
    } else if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const fenced = this.classic.checkStatic(g, req.memberId, req.groupInstanceId);
      if (fenced !== ErrorCode.NONE) code = fenced;
      else if (!g.members.has(req.memberId)) code = ErrorCode.UNKNOWN_MEMBER_ID;
      else if (req.generationId !== g.generationId) code = ErrorCode.ILLEGAL_GENERATION;
      else if (!txn && g.state === 'CompletingRebalance') code = ErrorCode.REBALANCE_IN_PROGRESS;
    } else if (!txn) {
      // Neither member id nor generation (OffsetCommit v0): only an empty group takes it.
      code = ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (code !== ErrorCode.NONE) return fail(code);
    if (!g && !cg) this.classic.groups.set(req.groupId, this.classic.newGroup(req.groupId, now));
    const records: CoordinatorRecord[] = [];
    const results = req.partitions.map((p) => {
      const metadata = p.metadata ?? '';
      if (partitionOk !== null && !partitionOk(p.topic, p.partition))
        return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.STALE_MEMBER_EPOCH };
      if (Buffer.byteLength(metadata) > this.config.maxMetadataBytes)
        return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
      records.push(
        offsetRecord(req.groupId, p.topic, p.partition, {
          offset: p.offset,
          leaderEpoch: p.leaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp: p.expireTimestamp,
        }),
      );
      return { topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE };
    });
    const m = g?.members.get(req.memberId);
    if (m) m.lastHeartbeat = now;
    return { records, results };
  }

  /** Committed offsets of `groupId`: all of them when `partitions` is null; -1 for partitions without a commit. */
  fetch(groupId: string, partitions: Array<{ topic: string; partition: number }> | null): FetchedOffset[] {
    const m = this.byGroup.get(groupId);
    if (partitions === null) {
      return [...(m?.values() ?? [])]
        .map((v) => ({
          topic: v.topic,
          partition: v.partition,
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
        }))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    }
    return partitions.map(({ topic, partition }) => {
      const v = m?.get(`${topic}\0${partition}`);
      return v
        ? { topic, partition, offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata }
        : { topic, partition, offset: -1, leaderEpoch: -1, metadata: '' };
    });
  }

  /** OffsetDelete: tombstones for partitions of topics the group is not subscribed to. */
  delete(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): { errorCode: number; records: CoordinatorRecord[]; results: PartitionResult[] } {
    const g = this.classic.groups.get(groupId);
    const cg = this.consumer.groups.get(groupId);
    if (!cg && (!g || g.state === 'Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [], results: [] };
    let subscribed = new Set<string>();
    if (cg) subscribed = this.consumer.subscribedTopicNames(cg);
    else if (g && g.state !== 'Empty') {
      if (g.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [], results: [] };
      subscribed = this.classic.subscribedTopics(g);
    }
    const records: CoordinatorRecord[] = [];
    const have = this.byGroup.get(groupId);
    const results = partitions.map(({ topic, partition }) => {
      if (subscribed.has(topic)) return { topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
      if (have?.has(`${topic}\0${partition}`)) records.push(offsetRecord(groupId, topic, partition, null));
      return { topic, partition, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, records, results };
  }

  /**
   * offsets.retention.minutes: offsets of an empty group expire `retention` after the group became empty (or after
   * their commit, if later); explicit expire timestamps (old clients) are honoured. A group left with no offsets dies.
   * Offsets of an active consumer group expire when their topic is no longer subscribed.
   */
  expire(now: number): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const [groupId, offsets] of this.byGroup) {
      const cg = this.consumer.groups.get(groupId);
      if (cg) {
        // Consumer groups: offsets expire only once the group is empty (the group itself stays).
        if (cg.members.size > 0) continue;
        for (const v of offsets.values()) {
          const expired =
            v.expireTimestamp >= 0
              ? now >= v.expireTimestamp
              : now >= Math.max(v.commitTimestamp, cg.stateTimestamp) + this.config.offsetsRetentionMs;
          if (expired) records.push(offsetRecord(groupId, v.topic, v.partition, null));
        }
        continue;
      }
      const g = this.classic.groups.get(groupId);
      const empty = !g || g.state === 'Empty';
      const subscribed =
        g && !empty && g.protocolType === 'consumer' && g.state === 'Stable' ? this.classic.subscribedTopics(g) : null;
      if (!empty && subscribed === null) continue;
      let left = offsets.size;
      for (const v of offsets.values()) {
        let expired: boolean;
        if (v.expireTimestamp >= 0) expired = now >= v.expireTimestamp;
        else if (empty)
          expired = now >= Math.max(v.commitTimestamp, g?.stateTimestamp ?? 0) + this.config.offsetsRetentionMs;
        else expired = !subscribed!.has(v.topic) && now >= v.commitTimestamp + this.config.offsetsRetentionMs;
        if (!expired) continue;
        records.push(offsetRecord(groupId, v.topic, v.partition, null));
        left--;
      }
      if (left === 0 && g && empty) {
        records.push(groupRecord(groupId, null));
      }
    }
    // Empty groups without any offsets are dropped too (their metadata record is tombstoned).
    for (const g of this.classic.groups.values())
      if (
        g.state === 'Empty' &&
        !this.byGroup.has(g.groupId) &&
        now >= g.stateTimestamp + this.config.offsetsRetentionMs
      )
        records.push(groupRecord(g.groupId, null));
    return records;
  }
}
