// The group coordinator for one __consumer_offsets partition, as a pure state machine: every operation takes the
// current time and returns Effects (records to append, replies to deliver once those are durable, timers to arm).
// It never does I/O and never reads a clock; the runtime (runtime.ts) and the simulation drive it.
//
// The shard composes three parts and does what spans them (loading, JoinGroup's protocol checks, deletion, views):
// classic.ts (classic-protocol membership), consumer.ts (KIP-848 consumer groups) and offsets.ts (committed offsets).
// A group id is either classic or consumer, never both.
import { ErrorCode } from '../../protocol/errors.ts';
import {
  type ClassicConfig,
  type ClassicGroup,
  ClassicGroups,
  type Effects,
  emptyEffects,
  type GroupState,
  type JoinRequest,
  type JoinResult,
  joinError,
  type SyncRequest,
} from './classic.ts';
import {
  type ConsumerConfig,
  type ConsumerGroup,
  ConsumerGroups,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResponse,
  type TopicsView,
} from './consumer.ts';
import {
  type CommitRequest,
  CommittedOffsets,
  type FetchedOffset,
  type OffsetsConfig,
  type PartitionResult,
  type StoredOffset,
} from './offsets.ts';
import { type CoordinatorRecord, decodeRecord, groupRecord } from './records.ts';

export type {
  ClassicGroup,
  Effects,
  GroupState,
  JoinRequest,
  JoinResult,
  Member,
  Protocol,
  Reply,
  SyncRequest,
  SyncResult,
} from './classic.ts';
export { emptyEffects } from './classic.ts';
export type { CommitPartition, CommitRequest, FetchedOffset, PartitionResult } from './offsets.ts';

export interface GroupConfig extends ClassicConfig, OffsetsConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Consumer-protocol (KIP-848) groups; defaults are Kafka's. */
  consumer?: Partial<ConsumerConfig>;
}

/** DescribeGroups' view of a group of either protocol (a consumer group as classic consumer-protocol bytes). */
export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  generationId: number;
  leaderId: string | null;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export class GroupShard {
  readonly partition: number;
  /** Classic-protocol groups (their membership state machine is `classic`). */
  readonly groups: Map<string, ClassicGroup>;
  readonly classic: ClassicGroups;
  /** Consumer-protocol (KIP-848) groups. A group id is either classic (in `groups`) or consumer (here). */
  readonly consumer: ConsumerGroups;
  readonly committed: CommittedOffsets;
  /** Committed offsets: group → "topic\0partition" → value. */
  readonly offsets: Map<string, Map<string, StoredOffset>>;
  private readonly config: GroupConfig;

  constructor(partition: number, config: GroupConfig, newId: () => string) {
    this.partition = partition;
    this.config = config;
    this.consumer = new ConsumerGroups(
      {
        sessionTimeoutMs: 45_000,
        heartbeatIntervalMs: 5_000,
        maxSize: 2147483647,
        assignors: ['uniform', 'range'],
        ...config.consumer,
      },
      newId,
    );
    this.classic = new ClassicGroups(config, newId);
    this.groups = this.classic.groups;
    this.committed = new CommittedOffsets(config, this.classic, this.consumer);
    this.offsets = this.committed.byGroup;
  }

  // ---- loading --------------------------------------------------------------------------------------------------

  /** Applies one stored record (on load, and after a live offset commit is durable). Last value per key wins. */
  replay(key: Buffer, value: Buffer | null, now: number, live = false): void {
    const r = decodeRecord(key, value);
    if (r.type === 'offset') {
      this.committed.replay(r.group, r.topic, r.partition, r.value);
      if (r.value !== null && !this.groups.has(r.group) && !this.consumer.groups.has(r.group))
        this.groups.set(r.group, this.classic.newGroup(r.group, now));
      return;
    }
    if (r.type !== 'group' && r.type !== 'other') {
      if (live) return;
      this.consumer.replay(r, now);
      // A consumer group replaces an (empty) classic group of the same id, e.g. one created by offset commits.
      const c = this.groups.get(r.group);
      if (c && c.members.size === 0 && this.consumer.groups.has(r.group)) this.groups.delete(r.group);
      return;
    }
    if (r.type !== 'group' || live) return;
    this.classic.replay(r.group, r.value, now);
  }

  /** After loading: heartbeat timers for every loaded member (they get a full session to show up). */
  loaded(now: number): Effects {
    const fx = emptyEffects();
    this.consumer.assertConsistent();
    fx.timers.push(...this.consumer.loaded(now).timers);
    this.classic.loaded(now, fx);
    return fx;
  }

  // ---- JoinGroup ------------------------------------------------------------------------------------------------

  joinGroup(req: JoinRequest, token: number, now: number): Effects {
    const fx = emptyEffects();
    const reply = (r: JoinResult) => fx.replies.push({ token, response: r });
    if (req.groupId === '') {
      reply(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
      return fx;
    }
    if (
      req.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      reply(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
      return fx;
    }
    const cg = this.consumer.groups.get(req.groupId);
    if (cg) {
      // No upgrade path from the consumer protocol: an active consumer group refuses classic members; an empty one
      // is converted (its consumer records are tombstoned, its committed offsets stay).
      if (cg.members.size > 0) {
        reply(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
        return fx;
      }
      fx.records.push(...this.consumer.tombstones(cg));
      this.consumer.groups.delete(req.groupId);
    }
    this.classic.join(req, token, now, fx);
    return fx;
  }

  syncGroup(req: SyncRequest, token: number, now: number): Effects {
    return this.classic.syncGroup(req, token, now);
  }

  heartbeat(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    now: number,
  ): number {
    return this.classic.heartbeat(groupId, memberId, groupInstanceId, generationId, now);
  }

  leaveGroup(
    groupId: string,
    leaving: Array<{ memberId: string; groupInstanceId: string | null }>,
    now: number,
  ): ReturnType<ClassicGroups['leaveGroup']> {
    return this.classic.leaveGroup(groupId, leaving, now);
  }

  onTimer(key: string, now: number): Effects {
    const [kind] = JSON.parse(key) as [string];
    if (kind === 'cgs' || kind === 'cgr') {
      const cfx = this.consumer.onTimer(key, now);
      return { records: cfx.records, replies: [], timers: cfx.timers };
    }
    return this.classic.onTimer(key, now);
  }

  // ---- offsets (offsets.ts) -------------------------------------------------------------------------------------

  /** Validates a commit; on success returns the records to append (the cache changes when they are replayed). */
  commitOffsets(req: CommitRequest, now: number): { records: CoordinatorRecord[]; results: PartitionResult[] } {
    return this.committed.commit(req, now);
  }

  /** Committed offsets of `groupId`: all of them when `partitions` is null; -1 for partitions without a commit. */
  fetchOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }> | null): FetchedOffset[] {
    return this.committed.fetch(groupId, partitions);
  }

  /** OffsetDelete: tombstones for partitions of topics the group is not subscribed to. */
  deleteOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): { errorCode: number; records: CoordinatorRecord[]; results: PartitionResult[] } {
    return this.committed.delete(groupId, partitions);
  }

  /** offsets.retention.minutes expiry: the tombstones to append (see CommittedOffsets.expire). */
  expireOffsets(now: number): CoordinatorRecord[] {
    return this.committed.expire(now);
  }

  subscribedTopics(g: ClassicGroup): Set<string> {
    return this.classic.subscribedTopics(g);
  }

  /** DeleteGroups: only empty groups; tombstones for the group and all its offsets. */
  deleteGroup(groupId: string, now: number): { errorCode: number; records: CoordinatorRecord[] } {
    const cg = this.consumer.groups.get(groupId);
    if (cg) {
      if (cg.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
      const records = this.committed.tombstones(groupId);
      records.push(...this.consumer.tombstones(cg));
      this.consumer.groups.delete(groupId);
      return { errorCode: ErrorCode.NONE, records };
    }
    const g = this.groups.get(groupId);
    if (!g || g.state === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [] };
    if (g.state !== 'Empty') return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
    const records = this.tombstonesFor(g);
    this.classic.transition(g, 'Dead', now);
    this.groups.delete(groupId);
    return { errorCode: ErrorCode.NONE, records };
  }

  private tombstonesFor(g: ClassicGroup): CoordinatorRecord[] {
    const records = this.committed.tombstones(g.groupId);
    records.push(groupRecord(g.groupId, null));
    return records;
  }

  /** Applies expiry tombstones once durable: offsets go via replay, tombstoned empty groups are removed. */
  applyExpiry(records: CoordinatorRecord[], now: number): void {
    for (const r of records) {
      this.replay(r.key, r.value, now, true);
      const d = decodeRecord(r.key, r.value);
      if (d.type === 'group' && d.value === null) {
        const g = this.groups.get(d.group);
        if (g && g.state === 'Empty' && !this.offsets.has(d.group)) {
          this.classic.transition(g, 'Dead', now);
          this.groups.delete(d.group);
        }
      }
    }
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  describe(groupId: string): GroupDescription | null {
    const cg = this.consumer.groups.get(groupId);
    if (cg) return this.describeConsumerAsClassic(cg);
    const g = this.groups.get(groupId);
    return g ? this.classic.describe(g) : null;
  }

  list(): Array<{ groupId: string; protocolType: string; state: string; type: 'classic' | 'consumer' }> {
    return [
      ...[...this.groups.values()].map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? '',
        state: g.state as string,
        type: 'classic' as const,
      })),
      ...[...this.consumer.groups.values()].map((g) => ({
        groupId: g.groupId,
        protocolType: 'consumer',
        state: this.consumer.state(g) as string,
        type: 'consumer' as const,
      })),
    ];
  }

  // ---- consumer-protocol groups ---------------------------------------------------------------------------------

  consumerHeartbeat(
    req: ConsumerHeartbeatRequest,
    topics: TopicsView,
    now: number,
  ): { fx: Effects; response: ConsumerHeartbeatResponse } {
    const classic = this.groups.get(req.groupId);
    const classicState =
      !classic || classic.state === 'Dead'
        ? 'none'
        : classic.members.size === 0 && classic.pending.size === 0
          ? 'empty'
          : 'active';
    const r = this.consumer.heartbeat(req, topics, classicState, now);
    const records = r.fx.records;
    if (r.convertedClassic && classic) {
      // Upgrade of an empty classic group (e.g. one that only holds committed offsets): its metadata record goes.
      this.groups.delete(req.groupId);
      records.unshift(groupRecord(req.groupId, null));
    }
    return { fx: { records, replies: [], timers: r.fx.timers }, response: r.response };
  }

  /** OffsetFetch v9+ member checks (consumer groups only; classic groups are not checked on fetch). */
  validateFetchMember(groupId: string, memberId: string | null, memberEpoch: number): number {
    const cg = this.consumer.groups.get(groupId);
    if (!cg || memberId === null) return ErrorCode.NONE;
    return this.consumer.validateMember(cg, memberId, memberEpoch, false);
  }

  /** A consumer group seen through DescribeGroups: classic consumer-protocol subscription/assignment bytes. */
  private describeConsumerAsClassic(g: ConsumerGroup): GroupDescription {
    const idToName = new Map([...g.subscribed].map(([n, t]) => [t.id, n]));
    const state = this.consumer.state(g);
    return {
      groupId: g.groupId,
      state: (state === 'Assigning' || state === 'Reconciling' ? 'PreparingRebalance' : state) as GroupState,
      protocolType: 'consumer',
      protocolName: this.consumer.assignorOf(g),
      generationId: g.groupEpoch,
      leaderId: null,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: encodeSubscription(m.subscribedTopicNames),
        assignment: encodeAssignment(
          [...m.assigned].map(([id, ps]) => ({
            topic: idToName.get(id) ?? id,
            partitions: [...ps].sort((a, b) => a - b),
          })),
        ),
      })),
    };
  }
}

/** ConsumerProtocolSubscription v0 (topics, no user data). */
function encodeSubscription(topics: string[]): Buffer {
  const parts: Buffer[] = [int16(0), int32(topics.length)];
  for (const t of topics) parts.push(str(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v0 (topic partitions, no user data). */
function encodeAssignment(topics: Array<{ topic: string; partitions: number[] }>): Buffer {
  const parts: Buffer[] = [int16(0), int32(topics.length)];
  for (const t of topics) {
    parts.push(str(t.topic), int32(t.partitions.length));
    for (const p of t.partitions) parts.push(int32(p));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([int16(b.length), b]);
}
