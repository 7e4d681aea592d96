// The consumer's fetching side: each assigned partition's position (resolved from the committed offset or the
// reset policy), pause state and last commit, the Fetch requests to the partitions' leaders, and the buffer of
// decoded records that poll() and the async iterator take from. Group membership is consumer-group.ts.
import { ApiKey } from '../protocol/apis.ts';
import type { FetchResponse } from '../protocol/generated/messages.ts';
import { batches, iterateRecords, parseControlRecord } from '../records/index.ts';
import { type OffsetSpec, offsetSpecTimestamp } from './admin.ts';
import { type Cluster, sleep } from './cluster.ts';
import type { BrokerConnection } from './connection.ts';
import type { ConsumerMessage, ConsumerOptions, TopicPartition, TopicPartitionOffset } from './consumer.ts';
import { check, ErrorCode, KafkaClientError } from './errors.ts';
import { bufferDeserializer, type Deserializer } from './serializers.ts';

export interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to hand out; null until resolved from the committed offset or the reset policy. */
  position: number | null;
  /** Where to go when the position is null: a spec, or the committed offset first. */
  reset: OffsetSpec | 'committed';
  paused: boolean;
  committed: number;
}

export const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** What the fetcher needs from its consumer. */
export interface FetcherHost {
  readonly closed: boolean;
  /** The group's committed offsets (OffsetFetch), for positions that start from them. */
  committed(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
}

export class ConsumerFetcher<K, V> {
  /** Assigned partitions by key(topic, partition). */
  readonly parts = new Map<string, PartitionState>();
  private readonly cluster: Cluster;
  private readonly opts: ConsumerOptions<K, V>;
  private readonly groupId: string | undefined;
  private readonly host: FetcherHost;
  private readonly keyDeserializer: Deserializer<K>;
  private readonly valueDeserializer: Deserializer<V>;
  private buffer: ConsumerMessage<K, V>[] = [];
  private head = 0;
  private fetchFailures = 0;

  constructor(cluster: Cluster, opts: ConsumerOptions<K, V>, host: FetcherHost) {
    this.cluster = cluster;
    this.opts = opts;
    this.groupId = opts.groupId;
    this.host = host;
    this.keyDeserializer = opts.keyDeserializer ?? (bufferDeserializer as Deserializer<K>);
    this.valueDeserializer = opts.valueDeserializer ?? (bufferDeserializer as Deserializer<V>);
  }

  /** Whether decoded records wait to be taken. */
  get hasBuffered(): boolean {
    return this.head < this.buffer.length;
  }

  /** The partitions currently assigned. */
  assignment(): TopicPartition[] {
    return [...this.parts.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  addPartition(topic: string, partition: number): PartitionState {
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

  /** Takes up to `n` buffered records; positions advance past them. */
  take(n: number): ConsumerMessage<K, V>[] {
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

  dropBuffered(pred: (m: ConsumerMessage<K, V>) => boolean): void {
    const rest = this.buffer.slice(this.head).filter((m) => !pred(m));
    this.buffer = rest;
    this.head = 0;
  }

  async resolvePositions(): Promise<void> {
    const pending = [...this.parts.values()].filter((s) => s.position === null);
    const fromCommitted = pending.filter((s) => s.reset === 'committed');
    if (fromCommitted.length) {
      const committed = await this.host.committed(fromCommitted);
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
  async fill(waitMs: number): Promise<void> {
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
          if (this.host.closed) return;
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
}
