// The consumer: `assign` (no group) or `subscribe` (classic group protocol, eager or cooperative assignors),
// positions, seek, pause/resume, commits, and `for await (const message of consumer)`. This file is the public API;
// consumer-fetcher.ts keeps positions, fetches and the record buffer, consumer-group.ts the group membership.
import { ApiKey } from '../protocol/apis.ts';
import type { RecordHeader } from '../records/index.ts';
import type { OffsetSpec } from './admin.ts';
import type { Assignor } from './assignors.ts';
import { type ClientOptions, Cluster } from './cluster.ts';
import { ConsumerFetcher, key } from './consumer-fetcher.ts';
import { GroupMembership } from './consumer-group.ts';
import { ClientClosedError, UnsupportedApiError } from './errors.ts';
import type { Deserializer } from './serializers.ts';

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

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerMessage<K, V>> {
  readonly cluster: Cluster;
  readonly groupId: string | undefined;
  private readonly opts: ConsumerOptions<K, V>;
  private readonly autoCommit: boolean;
  private mode: 'none' | 'assign' | 'subscribe' = 'none';
  private closed = false;
  private lastCommit = Date.now();
  /** Positions, fetches and the record buffer (consumer-fetcher.ts). */
  private readonly fetcher: ConsumerFetcher<K, V>;
  /** Group membership and the coordinator's offset APIs (consumer-group.ts). */
  private readonly group: GroupMembership<K, V>;

  constructor(opts: ConsumerOptions<K, V> = {}) {
    this.opts = opts;
    this.cluster = new Cluster(opts);
    this.groupId = opts.groupId;
    this.autoCommit = opts.groupId !== undefined && (opts.enableAutoCommit ?? true);
    const self = this;
    const host = {
      get closed() {
        return self.closed;
      },
      committed: (partitions: TopicPartition[]) => this.committed(partitions),
      commit: (offsets?: TopicPartitionOffset[]) => this.commit(offsets),
    };
    this.fetcher = new ConsumerFetcher(this.cluster, opts, host);
    this.group = new GroupMembership(this.cluster, opts, this.autoCommit, this.fetcher, host);
  }

  async connect(): Promise<void> {
    await this.cluster.any();
  }

  /** Consumes exactly these partitions, without a group. `offset` (or `from`) sets the starting position. */
  assign(partitions: (TopicPartition & { offset?: number; from?: OffsetSpec })[]): void {
    if (this.mode === 'subscribe') throw new Error('consumer is subscribed; assign() cannot be mixed with subscribe()');
    this.mode = 'assign';
    const wanted = new Set(partitions.map((p) => key(p.topic, p.partition)));
    for (const k of [...this.fetcher.parts.keys()]) if (!wanted.has(k)) this.fetcher.parts.delete(k);
    for (const p of partitions) {
      const s = this.fetcher.addPartition(p.topic, p.partition);
      if (p.offset !== undefined) s.position = p.offset;
      else if (p.from !== undefined) {
        s.position = null;
        s.reset = p.from;
      }
    }
    this.fetcher.dropBuffered(() => true);
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
    this.group.subscribed = true;
    this.group.topics = [...new Set(list)].sort();
    this.group.needsJoin = true;
  }

  /** The partitions currently assigned. */
  assignment(): TopicPartition[] {
    return this.fetcher.assignment();
  }

  /** Moves the position of a partition: an offset, or 'earliest' / 'latest' / { timestamp }. */
  seek(tp: TopicPartition & { offset: number | OffsetSpec }): void {
    const s = this.fetcher.parts.get(key(tp.topic, tp.partition));
    if (!s) throw new Error(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    if (typeof tp.offset === 'number') s.position = tp.offset;
    else {
      s.position = null;
      s.reset = tp.offset;
    }
    this.fetcher.dropBuffered((m) => m.topic === tp.topic && m.partition === tp.partition);
  }

  /** Next offset this consumer will hand out for a partition (resolving it if needed). */
  async position(tp: TopicPartition): Promise<number> {
    const s = this.fetcher.parts.get(key(tp.topic, tp.partition));
    if (!s) throw new Error(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    if (s.position === null) await this.fetcher.resolvePositions();
    return s.position!;
  }

  pause(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const s = this.fetcher.parts.get(key(p.topic, p.partition));
      if (s) s.paused = true;
    }
    const paused = new Set(partitions.map((p) => key(p.topic, p.partition)));
    this.fetcher.dropBuffered((m) => paused.has(key(m.topic, m.partition)));
  }

  resume(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const s = this.fetcher.parts.get(key(p.topic, p.partition));
      if (s) s.paused = false;
    }
  }

  paused(): TopicPartition[] {
    return [...this.fetcher.parts.values()]
      .filter((s) => s.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
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
      if (this.fetcher.hasBuffered) return this.fetcher.take(this.opts.maxPollRecords ?? 500);
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.fetcher.fill(left);
      if (this.fetcher.hasBuffered) return this.fetcher.take(this.opts.maxPollRecords ?? 500);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    while (!this.closed) {
      if (this.fetcher.hasBuffered) {
        const [m] = this.fetcher.take(1);
        yield m!;
        continue;
      }
      await this.maintain();
      if (this.closed) return;
      await this.fetcher.fill(this.opts.maxWaitMs ?? 500);
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
      [...this.fetcher.parts.values()]
        .filter((s) => s.position !== null && s.position !== s.committed)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    if (list.length === 0) return;
    await this.group.commitOffsets(list, this.mode === 'subscribe');
    for (const o of list) {
      const s = this.fetcher.parts.get(key(o.topic, o.partition));
      if (s) s.committed = o.offset;
    }
    this.lastCommit = Date.now();
  }

  /** Committed offsets of the group for these partitions (-1 where none). */
  async committed(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (!this.groupId) throw new Error('committed() needs a groupId');
    if (partitions.length === 0) return [];
    return this.group.fetchCommitted(partitions);
  }

  /** Commits (with auto-commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.group.stopHeartbeat();
    try {
      if (this.autoCommit && this.mode === 'subscribe' && this.group.generationId >= 0)
        await this.commit().catch(() => undefined);
      if (this.autoCommit && this.mode === 'assign') await this.commit().catch(() => undefined);
      await this.group.leave();
    } catch {
      // closing anyway
    } finally {
      this.closed = true;
      await this.cluster.close();
    }
  }

  // ---- internals ----

  /** Group membership, auto-commit and positions: everything to do before fetching. */
  private async maintain(): Promise<void> {
    if (this.mode === 'subscribe' && this.group.needsJoin) this.group.startJoin();
    if (this.group.joining) await this.group.joining;
    if (this.group.joinError) {
      const e = this.group.joinError;
      this.group.joinError = undefined;
      throw e;
    }
    if (this.autoCommit && Date.now() - this.lastCommit >= (this.opts.autoCommitIntervalMs ?? 5000)) {
      this.lastCommit = Date.now();
      await this.commit().catch(() => undefined);
    }
    if ([...this.fetcher.parts.values()].some((s) => s.position === null)) await this.fetcher.resolvePositions();
  }
}
