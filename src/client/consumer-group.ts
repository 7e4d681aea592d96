// The consumer's group membership (classic protocol, eager or cooperative assignors): JoinGroup / SyncGroup with
// the leader's assignment, heartbeats, rejoining in the background, applying an assignment to the fetcher's
// partitions (with onRebalance), and the OffsetCommit / OffsetFetch / LeaveGroup requests to the coordinator.
import { ApiKey } from '../protocol/apis.ts';
import type {
  HeartbeatResponse,
  JoinGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from '../protocol/generated/messages.ts';
import {
  ASSIGNORS,
  type Assignor,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from './assignors.ts';
import { type Cluster, sleep } from './cluster.ts';
import type { BrokerConnection } from './connection.ts';
import type { ConsumerOptions, TopicPartition, TopicPartitionOffset } from './consumer.ts';
import { type ConsumerFetcher, key } from './consumer-fetcher.ts';
import { check, ErrorCode } from './errors.ts';
import { getOrInit } from './util.ts';

/** What the membership needs from its consumer. */
export interface GroupHost {
  readonly closed: boolean;
  /** Commits the given offsets, or all consumed positions (auto-commit before giving partitions up). */
  commit(offsets?: TopicPartitionOffset[]): Promise<void>;
}

export class GroupMembership<K, V> {
  /** Subscribed topics, sorted. */
  topics: string[] = [];
  /** True once subscribe() was called: only then does the consumer join. */
  subscribed = false;
  memberId = '';
  generationId = -1;
  needsJoin = false;
  joining: Promise<void> | undefined;
  joinError: Error | undefined;
  private readonly cluster: Cluster;
  private readonly opts: ConsumerOptions<K, V>;
  private readonly groupId: string | undefined;
  private readonly autoCommit: boolean;
  private readonly assignors: Assignor[];
  private readonly fetcher: ConsumerFetcher<K, V>;
  private readonly host: GroupHost;
  private protocol: Assignor | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private coordinator: BrokerConnection | undefined;

  constructor(
    cluster: Cluster,
    opts: ConsumerOptions<K, V>,
    autoCommit: boolean,
    fetcher: ConsumerFetcher<K, V>,
    host: GroupHost,
  ) {
    this.cluster = cluster;
    this.opts = opts;
    this.groupId = opts.groupId;
    this.autoCommit = autoCommit;
    this.fetcher = fetcher;
    this.host = host;
    this.assignors = (opts.partitionAssigners ?? ['range', 'cooperative-sticky']).map((a) => {
      if (typeof a !== 'string') return a;
      const found = ASSIGNORS[a];
      if (!found) throw new Error(`unknown partition assigner "${a}" (range, roundrobin, cooperative-sticky)`);
      return found;
    });
  }

  /**
   * Rejoins in the background (the heartbeat calls this too), so a member that is not polling right now does not
   * hold the whole group's rebalance up until the rebalance timeout.
   */
  startJoin(): void {
    if (this.joining || this.host.closed || !this.subscribed) return;
    this.joining = this.join()
      .catch((e: Error) => {
        this.joinError = e;
      })
      .finally(() => {
        this.joining = undefined;
      });
  }

  resetMember(): void {
    this.memberId = '';
    this.generationId = -1;
    this.needsJoin = true;
  }

  private async coordinatorConnection(): Promise<BrokerConnection> {
    if (this.coordinator?.isOpen) return this.coordinator;
    this.coordinator = await this.cluster.coordinator(this.groupId!);
    return this.coordinator;
  }

  private owned(): TopicPartitions {
    const m: TopicPartitions = new Map();
    for (const s of this.fetcher.parts.values()) m.set(s.topic, [...(m.get(s.topic) ?? []), s.partition]);
    return m;
  }

  private async join(): Promise<void> {
    this.stopHeartbeat();
    const cooperative = this.protocol?.cooperative ?? false;
    const revokedEager: TopicPartition[] = [];
    if (!cooperative && this.fetcher.parts.size > 0) {
      // Eager protocol: give everything up before joining.
      if (this.autoCommit && this.generationId >= 0) await this.host.commit().catch(() => undefined);
      revokedEager.push(...this.fetcher.assignment());
      this.fetcher.parts.clear();
      this.fetcher.dropBuffered(() => true);
    }
    const sessionTimeoutMs = this.opts.sessionTimeoutMs ?? 45000;
    const rebalanceTimeoutMs = this.opts.rebalanceTimeoutMs ?? 60000;
    for (let attempt = 0; ; attempt++) {
      if (this.host.closed) return;
      this.needsJoin = false;
      let conn: BrokerConnection;
      try {
        conn = await this.coordinatorConnection();
      } catch (e) {
        if (attempt > this.cluster.retries * 4) throw e;
        await sleep(this.cluster.retryBackoffMs * 2);
        continue;
      }
      await this.cluster.refresh(this.topics).catch(() => undefined);
      const owned = this.owned();
      let join: JoinGroupResponse;
      try {
        join = await conn.request<JoinGroupResponse>(
          ApiKey.JoinGroup,
          {
            groupId: this.groupId!,
            sessionTimeoutMs,
            rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: this.opts.groupInstanceId ?? null,
            protocolType: 'consumer',
            protocols: this.assignors.map((a) => ({
              name: a.name,
              metadata: encodeSubscription({
                topics: this.topics,
                ownedPartitions: a.cooperative ? owned : new Map(),
                generationId: this.generationId,
                userData: null,
              }),
            })),
            reason: null,
          },
          rebalanceTimeoutMs + 5000,
        );
      } catch (e) {
        if (attempt > this.cluster.retries * 4) throw e;
        this.coordinator = undefined;
        await sleep(this.cluster.retryBackoffMs);
        continue;
      }
      if (join.errorCode === 79 /* MEMBER_ID_REQUIRED */) {
        this.memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || join.errorCode === ErrorCode.ILLEGAL_GENERATION) {
        this.memberId = '';
        this.generationId = -1;
        continue;
      }
      if (
        join.errorCode === ErrorCode.NOT_COORDINATOR ||
        join.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE ||
        join.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
        join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS
      ) {
        if (join.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) this.coordinator = undefined;
        await sleep(this.cluster.retryBackoffMs);
        continue;
      }
      check(join.errorCode, undefined, `join group ${this.groupId}`);
      this.memberId = join.memberId;
      this.generationId = join.generationId;
      const protocol = this.assignors.find((a) => a.name === join.protocolName);
      if (!protocol)
        throw new Error(`group ${this.groupId} chose protocol ${join.protocolName}, which this consumer lacks`);
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId && !join.skipAssignment) assignments = await this.leaderAssign(protocol, join);
      const sync = await conn
        .request<SyncGroupResponse>(
          ApiKey.SyncGroup,
          {
            groupId: this.groupId!,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId: this.opts.groupInstanceId ?? null,
            protocolType: 'consumer',
            protocolName: protocol.name,
            assignments,
          },
          rebalanceTimeoutMs + 5000,
        )
        .catch((e: Error) => ({ errorCode: -2, error: e }) as unknown as SyncGroupResponse);
      if (sync.errorCode === -2) {
        this.coordinator = undefined;
        continue;
      }
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || sync.errorCode === ErrorCode.ILLEGAL_GENERATION) {
        this.memberId = sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? '' : this.memberId;
        this.generationId = -1;
        continue;
      }
      check(sync.errorCode, undefined, `sync group ${this.groupId}`);
      this.protocol = protocol;
      await this.applyAssignment(decodeAssignment(sync.assignment), revokedEager);
      this.startHeartbeat();
      return;
    }
  }

  private async leaderAssign(
    protocol: Assignor,
    join: JoinGroupResponse,
  ): Promise<{ memberId: string; assignment: Buffer }[]> {
    const members = join.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      subscription: decodeSubscription(m.metadata),
    }));
    const topics = [...new Set(members.flatMap((m) => m.subscription.topics))];
    await this.cluster.refresh(topics).catch(() => undefined);
    const counts = new Map<string, number>();
    for (const t of topics) {
      const meta = this.cluster.cachedTopic(t);
      if (meta) counts.set(t, meta.partitions.length);
    }
    const result = protocol.assign(members, counts);
    return members.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment(result.get(m.memberId) ?? new Map()),
    }));
  }

  private async applyAssignment(assigned: TopicPartitions, revokedEager: TopicPartition[]): Promise<void> {
    const now = new Set<string>();
    for (const [t, ps] of assigned) for (const p of ps) now.add(key(t, p));
    const revoked: TopicPartition[] = [...revokedEager];
    const revokedStates = [...this.fetcher.parts.values()].filter((s) => !now.has(key(s.topic, s.partition)));
    if (revokedStates.length) {
      // Cooperative: commit and give up only what moved, then rejoin so it can be handed over.
      if (this.autoCommit) {
        const offsets = revokedStates
          .filter((s) => s.position !== null && s.position !== s.committed)
          .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
        await this.host.commit(offsets).catch(() => undefined);
      }
      for (const s of revokedStates) {
        this.fetcher.parts.delete(key(s.topic, s.partition));
        revoked.push({ topic: s.topic, partition: s.partition });
      }
      const gone = new Set(revokedStates.map((s) => key(s.topic, s.partition)));
      this.fetcher.dropBuffered((m) => gone.has(key(m.topic, m.partition)));
      if (this.protocol?.cooperative) this.needsJoin = true;
    }
    const added: TopicPartition[] = [];
    for (const [topic, ps] of assigned)
      for (const partition of ps)
        if (!this.fetcher.parts.has(key(topic, partition))) {
          this.fetcher.addPartition(topic, partition);
          added.push({ topic, partition });
        }
    const addedKeys = new Set(added.map((p) => key(p.topic, p.partition)));
    const stillRevoked = revoked.filter((p) => !addedKeys.has(key(p.topic, p.partition)));
    const reallyAdded = added.filter(
      (p) => !revokedEager.some((r) => r.topic === p.topic && r.partition === p.partition),
    );
    if (this.opts.onRebalance && (reallyAdded.length || stillRevoked.length))
      await this.opts.onRebalance({ assigned: reallyAdded, revoked: stillRevoked });
  }

  startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.opts.heartbeatIntervalMs ?? 3000;
    const beat = async () => {
      if (this.host.closed || this.needsJoin || this.joining) return;
      try {
        const conn = await this.coordinatorConnection();
        const res = await conn.request<HeartbeatResponse>(ApiKey.Heartbeat, {
          groupId: this.groupId!,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: this.opts.groupInstanceId ?? null,
        });
        if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) this.needsJoin = true;
        else if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.resetMember();
        else if (res.errorCode === ErrorCode.ILLEGAL_GENERATION) {
          this.generationId = -1;
          this.needsJoin = true;
        } else if (res.errorCode === ErrorCode.NOT_COORDINATOR || res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
          this.coordinator = undefined;
        if (this.needsJoin) this.startJoin();
      } catch {
        this.coordinator = undefined;
      }
    };
    this.heartbeatTimer = setInterval(() => void beat(), interval);
    this.heartbeatTimer.unref();
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  // ---- offsets and leaving (requests to the group coordinator) ----

  /** OffsetCommit; `asMember` sends the member id and generation (subscribe), else none (assign). */
  async commitOffsets(list: TopicPartitionOffset[], asMember: boolean): Promise<void> {
    const conn = await this.coordinatorConnection();
    const byTopic = new Map<
      string,
      { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string }[]
    >();
    for (const o of list) {
      const l = getOrInit(byTopic, o.topic, () => []);
      l.push({
        partitionIndex: o.partition,
        committedOffset: BigInt(o.offset),
        committedLeaderEpoch: -1,
        committedMetadata: '',
      });
    }
    const res = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId: this.groupId!,
      generationIdOrMemberEpoch: asMember ? this.generationId : -1,
      memberId: asMember ? this.memberId : '',
      groupInstanceId: this.opts.groupInstanceId ?? null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics)
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || p.errorCode === ErrorCode.ILLEGAL_GENERATION)
          this.needsJoin = true;
        if (p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.resetMember();
        if (p.errorCode === ErrorCode.NOT_COORDINATOR || p.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
          this.coordinator = undefined;
        check(p.errorCode, undefined, `commit ${t.name}-${p.partitionIndex}`);
      }
  }

  /** OffsetFetch (require_stable) for these partitions; -1 where the group has none. */
  async fetchCommitted(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const conn = await this.coordinatorConnection();
    const v = conn.version(ApiKey.OffsetFetch);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const res = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, {
      groupId: this.groupId!,
      topics,
      groups: [{ groupId: this.groupId!, memberId: null, memberEpoch: -1, topics }],
      requireStable: true,
    });
    const g = v >= 8 ? res.groups[0]! : res;
    if (g.errorCode === ErrorCode.NOT_COORDINATOR || g.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE)
      this.coordinator = undefined;
    check(g.errorCode, undefined, `group ${this.groupId}`);
    const out: TopicPartitionOffset[] = [];
    for (const t of g.topics)
      for (const p of t.partitions) {
        check(p.errorCode, undefined, `${t.name}-${p.partitionIndex}`);
        out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) });
      }
    return out;
  }

  /** LeaveGroup for a dynamic member (a static member keeps its membership until its session times out). */
  async leave(): Promise<void> {
    if (!this.subscribed || !this.memberId || this.opts.groupInstanceId) return;
    const conn = await this.coordinatorConnection();
    await conn
      .request(ApiKey.LeaveGroup, {
        groupId: this.groupId!,
        memberId: this.memberId,
        members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'consumer closed' }],
      })
      .catch(() => undefined);
  }
}
