// The consumer: `assign` (no group) or `subscribe` (classic group protocol, eager or cooperative assignors),
// positions, seek, pause/resume, commits, and `for await (const message of consumer)`.
import { ApiKey } from '../protocol/apis.ts';
import type {
  FetchResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from '../protocol/generated/messages.ts';
import { batches, iterateRecords, parseControlRecord, type RecordHeader } from '../records/index.ts';
import { type OffsetSpec, offsetSpecTimestamp } from './admin.ts';
import {
  ASSIGNORS,
  type Assignor,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type TopicPartitions,
} from './assignors.ts';
import { type ClientOptions, Cluster, sleep } from './cluster.ts';
import type { BrokerConnection } from './connection.ts';
import { ClientClosedError, check, ErrorCode, KafkaClientError, UnsupportedApiError } from './errors.ts';
import { bufferDeserializer, type Deserializer } from './serializers.ts';
import { getOrInit } from './util.ts';

export interface ConsumerMessage<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** 'CreateTime' or 'LogAppendTime'. */
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: K;
  value: V;
  headers: RecordHeader[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface ConsumerOptions<K = Buffer | null, V = Buffer | null> extends ClientOptions {
  /** Needed for `subscribe` and for commits. */
  groupId?: string;
  /** Static membership (KIP-345). */
  groupInstanceId?: string;
  /** Where to start when there is no committed offset (or it is out of range). Default 'latest', as Kafka. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Commit consumed positions every `autoCommitIntervalMs` and on rebalance/close. Default true with a group. */
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Preferred first. Default ['range', 'cooperative-sticky'] (the Java client's default). */
  partitionAssigners?: ('range' | 'roundrobin' | 'cooperative-sticky' | Assignor)[];
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  maxPartitionBytes?: number;
  /** Most records `poll()` returns at once (default 500). */
  maxPollRecords?: number;
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  keyDeserializer?: Deserializer<K>;
  valueDeserializer?: Deserializer<V>;
  /** Called after a rebalance with the partitions added and revoked. */
  onRebalance?: (event: { assigned: TopicPartition[]; revoked: TopicPartition[] }) => void | Promise<void>;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to hand out; null until resolved from the committed offset or the reset policy. */
  position: number | null;
  /** Where to go when the position is null: a spec, or the committed offset first. */
  reset: OffsetSpec | 'committed';
  paused: boolean;
  committed: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerMessage<K, V>> {
  readonly cluster: Cluster;
  readonly groupId: string | undefined;
  private readonly opts: ConsumerOptions<K, V>;
  private readonly keyDeserializer: Deserializer<K>;
  private readonly valueDeserializer: Deserializer<V>;
  private readonly assignors: Assignor[];
  private readonly autoCommit: boolean;
  private mode: 'none' | 'assign' | 'subscribe' = 'none';
  private readonly parts = new Map<string, PartitionState>();
  private buffer: ConsumerMessage<K, V>[] = [];
  private head = 0;
  private closed = false;
  private lastCommit = Date.now();
  // group state
  private topics: string[] = [];
  private memberId = '';
  private generationId = -1;
  private protocol: Assignor | undefined;
  private needsJoin = false;
  private joining: Promise<void> | undefined;
  private joinError: Error | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private coordinator: BrokerConnection | undefined;
  private fetchFailures = 0;

  constructor(opts: ConsumerOptions<K, V> = {}) {
    this.opts = opts;
    this.cluster = new Cluster(opts);
    this.groupId = opts.groupId;
    this.keyDeserializer = opts.keyDeserializer ?? (bufferDeserializer as Deserializer<K>);
    this.valueDeserializer = opts.valueDeserializer ?? (bufferDeserializer as Deserializer<V>);
    this.autoCommit = opts.groupId !== undefined && (opts.enableAutoCommit ?? true);
    this.assignors = (opts.partitionAssigners ?? ['range', 'cooperative-sticky']).map((a) => {
      if (typeof a !== 'string') return a;
      const found = ASSIGNORS[a];
      if (!found) throw new Error(`unknown partition assigner "${a}" (range, roundrobin, cooperative-sticky)`);
      return found;
    });
  }

  async connect(): Promise<void> {
    await this.cluster.any();
  }

  /** Consumes exactly these partitions, without a group. `offset` (or `from`) sets the starting position. */
  assign(partitions: (TopicPartition & { offset?: number; from?: OffsetSpec })[]): void {
    if (this.mode === 'subscribe') throw new Error('consumer is subscribed; assign() cannot be mixed with subscribe()');
    this.mode = 'assign';
    const wanted = new Set(partitions.map((p) => key(p.topic, p.partition)));
    for (const k of [...this.parts.keys()]) if (!wanted.has(k)) this.parts.delete(k);
    for (const p of partitions) {
      const s = this.addPartition(p.topic, p.partition);
      if (p.offset !== undefined) s.position = p.offset;
      else if (p.from !== undefined) {
        s.position = null;
        s.reset = p.from;
      }
    }
    this.dropBuffered(() => true);
  }

  /** Joins the consumer group and consumes the partitions the group assigns for `topics`. */
  async subscribe(topics: string[] | { topics: string[] }): Promise<void> {
    const list = Array.isArray(topics) ? topics : topics.topics;
    if (this.mode === 'assign') throw new Error('consumer uses assign(); subscribe() cannot be mixed with it');
    if (!this.groupId) throw new Error('subscribe() needs a groupId');
    const conn = await this.cluster.any();
    const needed = [
      ApiKey.FindCoordinator,
      ApiKey.JoinGroup,
      ApiKey.SyncGroup,
      ApiKey.Heartbeat,
      ApiKey.LeaveGroup,
      ApiKey.OffsetCommit,
      ApiKey.OffsetFetch,
    ];
    if (!needed.every((k) => conn.supports(k)))
      throw new UnsupportedApiError(`broker ${conn.host}:${conn.port} does not support consumer groups`);
    this.mode = 'subscribe';
    this.topics = [...new Set(list)].sort();
    this.needsJoin = true;
  }

  /** The partitions currently assigned. */
  assignment(): TopicPartition[] {
    return [...this.parts.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Moves the position of a partition: an offset, or 'earliest' / 'latest' / { timestamp }. */
  seek(tp: TopicPartition & { offset: number | OffsetSpec }): void {
    const s = this.parts.get(key(tp.topic, tp.partition));
    if (!s) throw new Error(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    if (typeof tp.offset === 'number') s.position = tp.offset;
    else {
      s.position = null;
      s.reset = tp.offset;
    }
    this.dropBuffered((m) => m.topic === tp.topic && m.partition === tp.partition);
  }

  /** Next offset this consumer will hand out for a partition (resolving it if needed). */
  async position(tp: TopicPartition): Promise<number> {
    const s = this.parts.get(key(tp.topic, tp.partition));
    if (!s) throw new Error(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    if (s.position === null) await this.resolvePositions();
    return s.position!;
  }

  pause(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const s = this.parts.get(key(p.topic, p.partition));
      if (s) s.paused = true;
    }
    const paused = new Set(partitions.map((p) => key(p.topic, p.partition)));
    this.dropBuffered((m) => paused.has(key(m.topic, m.partition)));
  }

  resume(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const s = this.parts.get(key(p.topic, p.partition));
      if (s) s.paused = false;
    }
  }

  paused(): TopicPartition[] {
    return [...this.parts.values()].filter((s) => s.paused).map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Returns the next records (up to maxPollRecords), waiting up to `timeoutMs` for some. Positions advance past
   * what is returned.
   */
  async poll(timeoutMs = 1000): Promise<ConsumerMessage<K, V>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) throw new ClientClosedError('consumer is closed');
      await this.maintain();
      if (this.head < this.buffer.length) return this.take(this.opts.maxPollRecords ?? 500);
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.fill(left);
      if (this.head < this.buffer.length) return this.take(this.opts.maxPollRecords ?? 500);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    while (!this.closed) {
      if (this.head < this.buffer.length) {
        const [m] = this.take(1);
        yield m!;
        continue;
      }
      await this.maintain();
      if (this.closed) return;
      await this.fill(this.opts.maxWaitMs ?? 500);
    }
  }

  /**
   * Commits offsets for the group: the given ones, or the current positions of all assigned partitions
   * (the next offset to consume, as Kafka expects).
   */
  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    if (!this.groupId) throw new Error('commit() needs a groupId');
    const list =
      offsets ??
      [...this.parts.values()]
        .filter((s) => s.position !== null && s.position !== s.committed)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    if (list.length === 0) return;
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
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.mode === 'subscribe' ? this.generationId : -1,
      memberId: this.mode === 'subscribe' ? this.memberId : '',
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
    for (const o of list) {
      const s = this.parts.get(key(o.topic, o.partition));
      if (s) s.committed = o.offset;
    }
    this.lastCommit = Date.now();
  }

  /** Committed offsets of the group for these partitions (-1 where none). */
  async committed(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (!this.groupId) throw new Error('committed() needs a groupId');
    if (partitions.length === 0) return [];
    const conn = await this.coordinatorConnection();
    const v = conn.version(ApiKey.OffsetFetch);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const res = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, {
      groupId: this.groupId,
      topics,
      groups: [{ groupId: this.groupId, memberId: null, memberEpoch: -1, topics }],
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

  /** Commits (with auto-commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopHeartbeat();
    try {
      if (this.autoCommit && this.mode === 'subscribe' && this.generationId >= 0)
        await this.commit().catch(() => undefined);
      if (this.autoCommit && this.mode === 'assign') await this.commit().catch(() => undefined);
      if (this.mode === 'subscribe' && this.memberId && !this.opts.groupInstanceId) {
        const conn = await this.coordinatorConnection();
        await conn
          .request(ApiKey.LeaveGroup, {
            groupId: this.groupId!,
            memberId: this.memberId,
            members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'consumer closed' }],
          })
          .catch(() => undefined);
      }
    } catch {
      // closing anyway
    } finally {
      this.closed = true;
      await this.cluster.close();
    }
  }

  // ---- internals ----

  private addPartition(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let s = this.parts.get(k);
    if (!s) {
      s = {
        topic,
        partition,
        position: null,
        reset: this.groupId ? 'committed' : this.defaultReset(),
        paused: false,
        committed: -1,
      };
      this.parts.set(k, s);
    }
    return s;
  }

  private defaultReset(): OffsetSpec {
    const r = this.opts.autoOffsetReset ?? 'latest';
    return r === 'none' ? 'latest' : r;
  }

  private take(n: number): ConsumerMessage<K, V>[] {
    const end = Math.min(this.buffer.length, this.head + n);
    const out = this.buffer.slice(this.head, end);
    this.head = end;
    if (this.head >= this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
    for (const m of out) {
      const s = this.parts.get(key(m.topic, m.partition));
      if (s) s.position = m.offset + 1;
    }
    return out;
  }

  private dropBuffered(pred: (m: ConsumerMessage<K, V>) => boolean): void {
    const rest = this.buffer.slice(this.head).filter((m) => !pred(m));
    this.buffer = rest;
    this.head = 0;
  }

  /** Group membership, auto-commit and positions: everything to do before fetching. */
  private async maintain(): Promise<void> {
    if (this.mode === 'subscribe' && this.needsJoin) this.startJoin();
    if (this.joining) await this.joining;
    if (this.joinError) {
      const e = this.joinError;
      this.joinError = undefined;
      throw e;
    }
    if (this.autoCommit && Date.now() - this.lastCommit >= (this.opts.autoCommitIntervalMs ?? 5000)) {
      this.lastCommit = Date.now();
      await this.commit().catch(() => undefined);
    }
    if ([...this.parts.values()].some((s) => s.position === null)) await this.resolvePositions();
  }

  private async resolvePositions(): Promise<void> {
    const pending = [...this.parts.values()].filter((s) => s.position === null);
    const fromCommitted = pending.filter((s) => s.reset === 'committed');
    if (fromCommitted.length) {
      const committed = await this.committed(fromCommitted);
      for (const c of committed) {
        const s = this.parts.get(key(c.topic, c.partition));
        if (!s) continue;
        if (c.offset >= 0) {
          s.position = c.offset;
          s.committed = c.offset;
        } else {
          if (this.opts.autoOffsetReset === 'none')
            throw new Error(`no committed offset for ${c.topic}-${c.partition} and autoOffsetReset is 'none'`);
          s.reset = this.defaultReset();
        }
      }
    }
    const bySpec = new Map<string, PartitionState[]>();
    for (const s of this.parts.values()) {
      if (s.position !== null || s.reset === 'committed') continue;
      const k = JSON.stringify(s.reset);
      bySpec.set(k, [...(bySpec.get(k) ?? []), s]);
    }
    for (const list of bySpec.values()) {
      const spec = list[0]!.reset as OffsetSpec;
      const offsets = await this.listOffsets(list, spec);
      for (const o of offsets) {
        const s = this.parts.get(key(o.topic, o.partition));
        // No record at or after the timestamp: the end of the log, as Kafka's consumer does.
        if (s && s.position === null) s.position = o.offset >= 0 ? o.offset : null;
      }
      const missing = list.filter((s) => s.position === null);
      if (missing.length) {
        const ends = await this.listOffsets(missing, 'latest');
        for (const o of ends) {
          const s = this.parts.get(key(o.topic, o.partition));
          if (s && s.position === null) s.position = o.offset;
        }
      }
    }
  }

  private async listOffsets(list: TopicPartition[], spec: OffsetSpec): Promise<TopicPartitionOffset[]> {
    const byLeader = new Map<number, TopicPartition[]>();
    for (const p of list) {
      await this.cluster.topic(p.topic);
      const l = this.cluster.leaderId(p.topic, p.partition);
      byLeader.set(l, [...(byLeader.get(l) ?? []), p]);
    }
    const out: TopicPartitionOffset[] = [];
    for (const [leader, ps] of byLeader) {
      const conn = await this.cluster.node(leader);
      const byTopic = new Map<string, number[]>();
      for (const p of ps) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      const res = await conn.request<{
        topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[];
      }>(ApiKey.ListOffsets, {
        replicaId: -1,
        isolationLevel: this.opts.isolationLevel === 'read_committed' ? 1 : 0,
        topics: [...byTopic].map(([name, parts]) => ({
          name,
          partitions: parts.map((partitionIndex) => ({
            partitionIndex,
            currentLeaderEpoch: -1,
            timestamp: offsetSpecTimestamp(spec),
            maxNumOffsets: 1,
          })),
        })),
        timeoutMs: 30000,
      });
      for (const t of res.topics)
        for (const p of t.partitions) {
          check(p.errorCode, undefined, `list offsets ${t.name}-${p.partitionIndex}`);
          out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.offset) });
        }
    }
    return out;
  }

  /** One round of fetches to every leader of a fetchable partition; decoded records go to the buffer. */
  private async fill(waitMs: number): Promise<void> {
    const fetchable = [...this.parts.values()].filter((s) => !s.paused && s.position !== null);
    if (fetchable.length === 0) {
      await sleep(Math.min(waitMs, 100));
      return;
    }
    const byLeader = new Map<number, PartitionState[]>();
    for (const s of fetchable) {
      if (!this.cluster.cachedTopic(s.topic)) await this.cluster.topic(s.topic).catch(() => undefined);
      const l = this.cluster.leaderId(s.topic, s.partition);
      byLeader.set(l, [...(byLeader.get(l) ?? []), s]);
    }
    let refresh = false;
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          if (leader < 0) throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE);
          const conn = await this.cluster.node(leader);
          refresh = (await this.fetchFrom(conn, list, waitMs)) || refresh;
          this.fetchFailures = 0;
        } catch (e) {
          if (this.closed) return;
          const err = e as Error;
          const retriable =
            (err instanceof KafkaClientError && err.retriable) || err.name === 'ConnectionClosedError' || 'code' in err;
          if (!retriable || ++this.fetchFailures > this.cluster.retries * 4) throw err;
          refresh = true;
          await sleep(this.cluster.retryBackoffMs);
        }
      }),
    );
    if (refresh) await this.cluster.refresh([...new Set(fetchable.map((s) => s.topic))]).catch(() => undefined);
  }

  /** Returns true if metadata should be refreshed. */
  private async fetchFrom(conn: BrokerConnection, list: PartitionState[], waitMs: number): Promise<boolean> {
    const v = conn.version(ApiKey.Fetch);
    const byTopic = new Map<string, PartitionState[]>();
    for (const s of list) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);
    const fetchedAt = new Map(list.map((s) => [key(s.topic, s.partition), s.position!]));
    const idToName = new Map<string, string>();
    const readCommitted = this.opts.isolationLevel === 'read_committed';
    const res = await conn.request<FetchResponse>(
      ApiKey.Fetch,
      {
        replicaId: -1,
        maxWaitMs: Math.max(0, Math.floor(waitMs)),
        minBytes: this.opts.minBytes ?? 1,
        maxBytes: this.opts.maxBytes ?? 52428800,
        isolationLevel: readCommitted ? 1 : 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, ps]) => {
          const topicId = this.cluster.cachedTopic(topic)?.topicId ?? '';
          idToName.set(topicId, topic);
          return {
            topic,
            topicId,
            partitions: ps.map((s) => ({
              partition: s.partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(s.position!),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: this.opts.maxPartitionBytes ?? 1048576,
            })),
          };
        }),
        forgottenTopicsData: [],
        rackId: '',
      },
      waitMs + 30000,
    );
    check(res.errorCode, undefined, 'fetch');
    let refresh = false;
    for (const t of res.responses) {
      const topic = v >= 13 ? idToName.get(t.topicId) : t.topic;
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const s = this.parts.get(key(topic, p.partitionIndex));
        const from = fetchedAt.get(key(topic, p.partitionIndex));
        // Seeked, paused or revoked while the fetch was in flight: the answer is stale.
        if (!s || s.paused || from === undefined || s.position !== from) continue;
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (this.opts.autoOffsetReset === 'none')
            throw new KafkaClientError(p.errorCode, `offset ${from} of ${topic}-${p.partitionIndex}`);
          s.position = null;
          s.reset = this.defaultReset();
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          const err = new KafkaClientError(p.errorCode, `fetch ${topic}-${p.partitionIndex}`);
          if (!err.retriable) throw err;
          refresh = true;
          continue;
        }
        if (p.records && p.records.length > 0)
          this.decode(topic, p.partitionIndex, from, p.records, readCommitted ? p.abortedTransactions : null);
      }
    }
    return refresh;
  }

  private decode(
    topic: string,
    partition: number,
    from: number,
    records: Buffer,
    aborted: { producerId: bigint; firstOffset: bigint }[] | null,
  ): void {
    const abortedList = (aborted ?? []).map((a) => ({ pid: Number(a.producerId), first: Number(a.firstOffset) }));
    abortedList.sort((a, b) => a.first - b.first);
    const abortedNow = new Set<number>();
    for (const b of batches(records)) {
      const h = b.header;
      const batch = records.subarray(b.position, b.position + b.size);
      while (abortedList.length && abortedList[0]!.first <= h.baseOffset + h.lastOffsetDelta)
        abortedNow.add(abortedList.shift()!.pid);
      if (h.isControl) {
        if (aborted) {
          for (const r of iterateRecords(batch)) {
            const c = parseControlRecord(r.key, r.value);
            if (c?.type === 'ABORT') abortedNow.delete(h.producerId);
          }
        }
        continue;
      }
      if (aborted && h.isTransactional && abortedNow.has(h.producerId)) continue;
      const tsType = h.timestampType === 1 ? 'LogAppendTime' : 'CreateTime';
      for (const r of iterateRecords(batch)) {
        if (r.offset < from) continue;
        this.buffer.push({
          topic,
          partition,
          offset: r.offset,
          timestamp: r.timestamp,
          timestampType: tsType,
          key: this.keyDeserializer(r.key, topic),
          value: this.valueDeserializer(r.value, topic),
          headers: r.headers,
        });
      }
    }
  }

  // ---- group membership ----

  /**
   * Rejoins in the background (the heartbeat calls this too), so a member that is not polling right now does not
   * hold the whole group's rebalance up until the rebalance timeout.
   */
  private startJoin(): void {
    if (this.joining || this.closed || this.mode !== 'subscribe') return;
    this.joining = this.join()
      .catch((e: Error) => {
        this.joinError = e;
      })
      .finally(() => {
        this.joining = undefined;
      });
  }

  private resetMember(): void {
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
    for (const s of this.parts.values()) m.set(s.topic, [...(m.get(s.topic) ?? []), s.partition]);
    return m;
  }

  private async join(): Promise<void> {
    this.stopHeartbeat();
    const cooperative = this.protocol?.cooperative ?? false;
    const revokedEager: TopicPartition[] = [];
    if (!cooperative && this.parts.size > 0) {
      // Eager protocol: give everything up before joining.
      if (this.autoCommit && this.generationId >= 0) await this.commit().catch(() => undefined);
      revokedEager.push(...this.assignment());
      this.parts.clear();
      this.dropBuffered(() => true);
    }
    const sessionTimeoutMs = this.opts.sessionTimeoutMs ?? 45000;
    const rebalanceTimeoutMs = this.opts.rebalanceTimeoutMs ?? 60000;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
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
    const revokedStates = [...this.parts.values()].filter((s) => !now.has(key(s.topic, s.partition)));
    if (revokedStates.length) {
      // Cooperative: commit and give up only what moved, then rejoin so it can be handed over.
      if (this.autoCommit) {
        const offsets = revokedStates
          .filter((s) => s.position !== null && s.position !== s.committed)
          .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
        await this.commit(offsets).catch(() => undefined);
      }
      for (const s of revokedStates) {
        this.parts.delete(key(s.topic, s.partition));
        revoked.push({ topic: s.topic, partition: s.partition });
      }
      const gone = new Set(revokedStates.map((s) => key(s.topic, s.partition)));
      this.dropBuffered((m) => gone.has(key(m.topic, m.partition)));
      if (this.protocol?.cooperative) this.needsJoin = true;
    }
    const added: TopicPartition[] = [];
    for (const [topic, ps] of assigned)
      for (const partition of ps)
        if (!this.parts.has(key(topic, partition))) {
          this.addPartition(topic, partition);
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

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.opts.heartbeatIntervalMs ?? 3000;
    const beat = async () => {
      if (this.closed || this.needsJoin || this.joining) return;
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

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
