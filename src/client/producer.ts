// The producer: records are grouped per partition into batches (sent when `batchSize` bytes are reached or after
// `lingerMs`), compressed, and sent as one Produce request per leader broker.
import { ApiKey } from '../protocol/apis.ts';
import type { InitProducerIdResponse, ProduceResponse } from '../protocol/generated/messages.ts';
import { buildBatch, Codec, type RecordHeader, type RecordInput } from '../records/index.ts';
import { type ClientOptions, Cluster, sleep } from './cluster.ts';
import type { BrokerConnection } from './connection.ts';
import { ClientClosedError, ErrorCode, KafkaClientError } from './errors.ts';
import { defaultPartitioner, type Partitioner } from './partitioner.ts';
import { bufferSerializer, type Serializer } from './serializers.ts';
import { getOrInit } from './util.ts';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type Acks = 0 | 1 | -1 | 'all';

export const COMPRESSION_CODECS: Record<CompressionName, number> = {
  none: Codec.NONE,
  gzip: Codec.GZIP,
  snappy: Codec.SNAPPY,
  lz4: Codec.LZ4,
  zstd: Codec.ZSTD,
};

export type MessageHeaders =
  | Record<string, string | Buffer | null | (string | Buffer)[]>
  | { key: string; value: string | Buffer | null }[];

export interface ProducerMessage<K = Buffer | string | null, V = Buffer | string | null> {
  key?: K;
  value: V;
  headers?: MessageHeaders;
  /** Explicit partition; otherwise the partitioner picks one. */
  partition?: number;
  /** CreateTime in ms; default: now. */
  timestamp?: number;
}

export interface ProducerRecord<K, V> {
  topic: string;
  messages: ProducerMessage<K, V>[];
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: number;
  /** The broker's LogAppendTime if the topic uses it, else -1. */
  logAppendTime: number;
}

export interface ProducerOptions<K = Buffer | string | null, V = Buffer | string | null> extends ClientOptions {
  /** 0: no answer, 1: the leader wrote it, -1/'all': all in-sync replicas have it (default). */
  acks?: Acks;
  /** How long a batch may wait for more records (default 5 ms, as the Java client since Kafka 4.0). */
  lingerMs?: number;
  /** A partition's batch is sent once it holds this many bytes (default 16384). */
  batchSize?: number;
  compression?: CompressionName;
  partitioner?: Partitioner;
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
  /** Let Metadata create unknown topics (when the broker allows it). Default true. */
  allowAutoTopicCreation?: boolean;
  /** Broker-side timeout of a produce request with acks=-1 (default 30000). */
  timeoutMs?: number;
  /** Largest produce request the producer builds, in record bytes (default 1 MiB, Kafka's max.request.size). */
  maxRequestSize?: number;
  /** Produce requests in flight per broker (default 5; at most 5 with `idempotent`). */
  maxInFlightRequests?: number;
  /**
   * Idempotent producer (default false): the producer gets a producer id (InitProducerId) on first use and numbers
   * each partition's batches, so the broker drops a retried batch it has already written and the partition keeps
   * the order of the sends. Needs acks 'all'.
   */
  idempotent?: boolean;
}

interface Segment {
  start: number;
  count: number;
  done(err: Error | null, baseOffset: number, logAppendTime: number): void;
}

interface PartitionBatch {
  topic: string;
  partition: number;
  records: RecordInput[];
  bytes: number;
  segments: Segment[];
  attempts: number;
  built?: Buffer;
  /** Idempotence: the producer id and sequence this batch was numbered with (kept across retries). */
  producerId?: number;
  baseSequence?: number;
  finished?: boolean;
  /** In a request whose outcome is not known yet. */
  sending?: boolean;
}

/** Idempotence state of one partition for the current producer id. */
interface PartitionSequence {
  next: number;
  /** Numbered batches not yet acknowledged or failed, in sequence order. */
  unacked: PartitionBatch[];
}

const SEQUENCE_ERRORS = new Set<number>([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** The connection failed: the request may or may not have reached the broker. */
function isNetworkError(err: Error): boolean {
  return err.name === 'ConnectionClosedError' || NETWORK_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

function finish(b: PartitionBatch, err: Error | null, baseOffset: number, logAppendTime: number): void {
  if (b.finished) return;
  b.finished = true;
  for (const s of b.segments) s.done(err, baseOffset, logAppendTime);
}

function toHeaders(h: MessageHeaders | undefined): RecordHeader[] | undefined {
  if (!h) return undefined;
  const buf = (v: string | Buffer | null) => (v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
  if (Array.isArray(h)) return h.map((x) => ({ key: x.key, value: buf(x.value) }));
  const out: RecordHeader[] = [];
  for (const [key, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.push({ key, value: buf(x) });
    else out.push({ key, value: buf(v) });
  }
  return out;
}

class Slots {
  private free: number;
  constructor(n: number) {
    this.free = n;
  }
  tryTake(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }
  give(): void {
    this.free++;
  }
}

export class Producer<K = Buffer | string | null, V = Buffer | string | null> {
  readonly cluster: Cluster;
  private readonly acks: number;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly codec: number;
  private readonly partitioner: Partitioner;
  private readonly keySerializer: Serializer<K>;
  private readonly valueSerializer: Serializer<V>;
  private readonly autoCreate: boolean;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly batches = new Map<string, PartitionBatch>();
  private readonly sticky = new Map<string, number>();
  private readonly slots = new Map<number, Slots>();
  private readonly inFlight = new Set<Promise<void>>();
  private ready: PartitionBatch[] = [];
  private sendScheduled = false;
  private readonly maxRequestSize: number;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly idempotent: boolean;
  private producerId = -1;
  private producerEpoch = -1;
  private initializing: Promise<void> | undefined;
  private metadataQueue: Promise<unknown> | undefined;
  private readonly sequences = new Map<string, PartitionSequence>();

  constructor(opts: ProducerOptions<K, V> = {}) {
    this.cluster = new Cluster(opts);
    this.acks = opts.acks === 'all' || opts.acks === undefined ? -1 : opts.acks;
    if (![0, 1, -1].includes(this.acks)) throw new Error(`invalid acks ${opts.acks} (0, 1, -1 or 'all')`);
    this.lingerMs = opts.lingerMs ?? 5;
    this.batchSize = opts.batchSize ?? 16384;
    const codec = COMPRESSION_CODECS[opts.compression ?? 'none'];
    if (codec === undefined) throw new Error(`unknown compression ${opts.compression} (none, gzip, snappy, lz4, zstd)`);
    this.codec = codec;
    this.partitioner = opts.partitioner ?? defaultPartitioner;
    this.keySerializer = opts.keySerializer ?? (bufferSerializer as Serializer<K>);
    this.valueSerializer = opts.valueSerializer ?? (bufferSerializer as Serializer<V>);
    this.autoCreate = opts.allowAutoTopicCreation ?? true;
    this.timeoutMs = opts.timeoutMs ?? 30000;
    this.maxInFlight = opts.maxInFlightRequests ?? 5;
    this.maxRequestSize = opts.maxRequestSize ?? 1048576;
    this.idempotent = opts.idempotent ?? false;
    if (this.idempotent) {
      if (this.acks !== -1) throw new Error(`an idempotent producer needs acks 'all' (got ${opts.acks})`);
      if (this.maxInFlight > 5) throw new Error(`an idempotent producer allows at most 5 requests in flight`);
    }
  }

  /** The producer id and epoch of an idempotent producer (-1 before its first send). */
  get producerIdentity(): { producerId: number; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /** Connects to the cluster (optional: `send` connects on first use). */
  async connect(): Promise<void> {
    await this.cluster.refresh([]);
  }

  /** Queues the messages; resolves when the broker has acknowledged all of them (per `acks`). */
  async send(record: ProducerRecord<K, V>): Promise<RecordMetadata[]> {
    if (this.closed) throw new ClientClosedError('producer is closed');
    const { topic, messages } = record;
    // Sends that wait for metadata queue up, so a partition's records keep the order of the send() calls.
    let meta = this.metadataQueue === undefined ? this.cluster.cachedTopic(topic) : undefined;
    if (!meta) {
      const p = (this.metadataQueue ?? Promise.resolve()).then(
        () => this.cluster.cachedTopic(topic) ?? this.cluster.topic(topic, this.autoCreate),
        () => this.cluster.cachedTopic(topic) ?? this.cluster.topic(topic, this.autoCreate),
      );
      this.metadataQueue = p;
      try {
        meta = await p;
      } finally {
        if (this.metadataQueue === p) this.metadataQueue = undefined;
      }
    }
    const n = meta.partitions.length;
    const now = Date.now();
    const results: RecordMetadata[] = new Array(messages.length);
    const waits: Promise<void>[] = [];
    // Runs of consecutive messages for the same partition become one segment of that partition's batch.
    let seg: { batch: PartitionBatch; idx: number[] } | undefined;
    const closeSegment = () => {
      if (!seg) return;
      const { batch, idx } = seg;
      const start = batch.records.length - idx.length;
      const partition = batch.partition;
      seg = undefined;
      waits.push(
        new Promise<void>((resolve, reject) => {
          batch.segments.push({
            start,
            count: idx.length,
            done: (err, baseOffset, logAppendTime) => {
              if (err) return reject(err);
              for (let j = 0; j < idx.length; j++)
                results[idx[j]!] = {
                  topic,
                  partition,
                  offset: baseOffset < 0 ? -1 : baseOffset + start + j,
                  logAppendTime,
                };
              resolve();
            },
          });
        }),
      );
      if (batch.bytes >= this.batchSize) this.drain(batch);
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const key = m.key === undefined ? null : this.keySerializer(m.key, topic);
      const value = this.valueSerializer(m.value, topic);
      let partition = m.partition;
      if (partition === undefined) {
        partition = this.partitioner({ topic, key, numPartitions: n, sticky: this.stickyPartition(topic, n) });
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= n)
        throw new KafkaClientError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic} has no partition ${partition}`);
      const headers = toHeaders(m.headers);
      let size = 24 + (key?.length ?? 0) + (value?.length ?? 0);
      if (headers) for (const h of headers) size += h.key.length + (h.value?.length ?? 0) + 4;
      if (seg && (seg.batch.partition !== partition || seg.batch.bytes >= this.batchSize)) closeSegment();
      const batch = seg?.batch ?? this.batchFor(topic, partition);
      batch.records.push({ key, value, headers, timestamp: m.timestamp ?? now });
      batch.bytes += size;
      if (seg) seg.idx.push(i);
      else seg = { batch, idx: [i] };
    }
    closeSegment();
    if (this.batches.size > 0 && this.lingerTimer === undefined) {
      if (this.lingerMs <= 0) this.lingerTimer = setImmediate(() => this.flushPending()) as unknown as NodeJS.Timeout;
      else this.lingerTimer = setTimeout(() => this.flushPending(), this.lingerMs);
    }
    await Promise.all(waits);
    return results;
  }

  /** Sends every queued batch now and waits for all requests in flight. */
  async flush(): Promise<void> {
    this.flushPending();
    while (this.inFlight.size > 0 || this.ready.length > 0 || this.sendScheduled) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Flushes, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.cluster.close();
  }

  private stickyPartition(topic: string, n: number): number {
    let s = this.sticky.get(topic);
    if (s === undefined || s >= n) {
      s = Math.floor(Math.random() * n);
      this.sticky.set(topic, s);
    }
    return s;
  }

  private batchFor(topic: string, partition: number): PartitionBatch {
    const k = `${topic}\u0000${partition}`;
    let b = this.batches.get(k);
    if (!b) {
      b = { topic, partition, records: [], bytes: 0, segments: [], attempts: 0 };
      this.batches.set(k, b);
    }
    return b;
  }

  private flushPending(): void {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      clearImmediate(this.lingerTimer as unknown as NodeJS.Immediate);
      this.lingerTimer = undefined;
    }
    for (const b of this.batches.values()) {
      if (b.records.length === 0) continue;
      if (this.sticky.get(b.topic) === b.partition) this.sticky.delete(b.topic);
      this.ready.push(b);
    }
    this.batches.clear();
    this.scheduleSend();
  }

  /** A full batch: closed now, sent with whatever else is ready for its leader. */
  private drain(batch: PartitionBatch): void {
    this.batches.delete(`${batch.topic}\u0000${batch.partition}`);
    // The next keyless records of this topic go elsewhere (the Java client's sticky partitioner).
    if (this.sticky.get(batch.topic) === batch.partition) {
      const n = this.cluster.cachedTopic(batch.topic)?.partitions.length ?? 1;
      if (n > 1) {
        let next = Math.floor(Math.random() * (n - 1));
        if (next >= batch.partition) next++;
        this.sticky.set(batch.topic, next);
      }
    }
    this.ready.push(batch);
    this.scheduleSend();
  }

  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.runSender();
    });
  }

  /**
   * Sends ready batches: one request per leader with a free in-flight slot, holding as many batches as fit in
   * `maxRequestSize`. Batches for a busy leader wait (and keep company) until one of its requests completes.
   */
  private runSender(): void {
    if (this.idempotent && this.producerId < 0) {
      this.initProducerId();
      return;
    }
    const waiting: PartitionBatch[] = [];
    const sendable = this.idempotent ? this.sendableInOrder(waiting) : this.ready;
    const byLeader = new Map<number, PartitionBatch[]>();
    for (const b of sendable) getOrInit(byLeader, this.cluster.leaderId(b.topic, b.partition), () => []).push(b);
    for (const [leader, list] of byLeader) {
      let i = 0;
      while (i < list.length) {
        const slots = leader < 0 ? undefined : getOrInit(this.slots, leader, () => new Slots(this.maxInFlight));
        if (slots && !slots.tryTake()) break;
        const req: PartitionBatch[] = [];
        let bytes = 0;
        const seen = new Set<string>();
        while (i < list.length) {
          const b = list[i]!;
          const k = `${b.topic}\u0000${b.partition}`;
          // One batch per partition per request keeps the partition's order; the next one goes in the next request.
          if (seen.has(k) || (req.length > 0 && bytes + b.bytes > this.maxRequestSize)) break;
          seen.add(k);
          if (this.idempotent && b.baseSequence === undefined) this.number(b);
          b.sending = true;
          req.push(b);
          bytes += b.bytes;
          i++;
        }
        const p = this.sendRequest(leader, req, slots).finally(() => {
          this.inFlight.delete(p);
          if (this.ready.length) this.scheduleSend();
        });
        this.inFlight.add(p);
      }
      for (; i < list.length; i++) waiting.push(list[i]!);
    }
    // What stays keeps the order of `ready` (sequence order, then send order): rebuilding it from `waiting` would put
    // batches held back by sendableInOrder ahead of earlier ones left without an in-flight slot, and the later ones
    // would be numbered first (found by the fault harness, test/fault/ts-producer-order.test.ts).
    const keep = new Set(waiting);
    this.ready = this.ready.filter((b) => keep.has(b));
  }

  private async sendRequest(leader: number, list: PartitionBatch[], slots: Slots | undefined): Promise<void> {
    let conn: BrokerConnection;
    try {
      if (leader < 0) throw new KafkaClientError(ErrorCode.LEADER_NOT_AVAILABLE, 'no leader known');
      conn = await this.cluster.node(leader);
    } catch (e) {
      slots?.give();
      for (const b of list) b.sending = false;
      await this.retryOrFail(list, e as Error);
      return;
    }
    try {
      const topics = new Map<string, { index: number; records: Buffer }[]>();
      for (const b of list) {
        b.built ??= buildBatch({
          records: b.records,
          compression: this.codec,
          producerId: b.producerId,
          producerEpoch: b.producerId === undefined ? undefined : this.producerEpoch,
          baseSequence: b.baseSequence,
        });
        const t = getOrInit(topics, b.topic, () => []);
        t.push({ index: b.partition, records: b.built });
      }
      const body = {
        transactionalId: null,
        acks: this.acks,
        timeoutMs: this.timeoutMs,
        topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
      };
      if (this.acks === 0) {
        await conn.send(ApiKey.Produce, conn.version(ApiKey.Produce), body, false);
        for (const b of list) finish(b, null, -1, -1);
        return;
      }
      const res = await conn.request<ProduceResponse>(ApiKey.Produce, body);
      for (const b of list) b.sending = false;
      const retry: PartitionBatch[] = [];
      let retryError: Error | undefined;
      for (const b of list) {
        const pr = res.responses
          .find((r) => r.name === b.topic)
          ?.partitionResponses.find((p) => p.index === b.partition);
        if (!pr) {
          this.fail(b, new Error(`no produce response for ${b.topic}-${b.partition}`));
          continue;
        }
        if (pr.errorCode === ErrorCode.NONE || pr.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
          this.acked(b);
          finish(b, null, Number(pr.baseOffset), Number(pr.logAppendTimeMs));
          continue;
        }
        const err = new KafkaClientError(pr.errorCode, pr.errorMessage ?? pr.recordErrors[0]?.batchIndexErrorMessage);
        err.message += ` (${b.topic}-${b.partition})`;
        if (err.retriable || this.waitsForEarlierBatch(b, pr.errorCode)) {
          retry.push(b);
          retryError = err;
        } else this.fail(b, err);
      }
      if (retry.length) await this.retryOrFail(retry, retryError!);
    } catch (e) {
      for (const b of list) b.sending = false;
      await this.retryOrFail(list, e as Error);
    } finally {
      slots?.give();
    }
  }

  private async retryOrFail(list: PartitionBatch[], err: Error): Promise<void> {
    const retriable =
      (err instanceof KafkaClientError && (err.retriable || SEQUENCE_ERRORS.has(err.code))) || isNetworkError(err);
    const again: PartitionBatch[] = [];
    for (const b of list) {
      b.attempts++;
      if (b.finished) continue;
      if (retriable && !this.closed && b.attempts <= this.cluster.retries) again.push(b);
      else this.fail(b, err);
    }
    if (again.length === 0) return;
    await sleep(this.cluster.retryBackoffMs * 2 ** Math.min(again[0]!.attempts - 1, 5));
    await this.cluster.refresh([...new Set(again.map((b) => b.topic))]).catch(() => undefined);
    this.ready.push(...again);
    this.scheduleSend();
  }

  /** Gets a producer id (InitProducerId without a transactional id), then sends what is ready. */
  private initProducerId(): void {
    this.initializing ??= (async () => {
      let attempt = 0;
      for (;;) {
        try {
          const conn = await this.cluster.any();
          const res = await conn.request<InitProducerIdResponse>(ApiKey.InitProducerId, {
            transactionalId: null,
            transactionTimeoutMs: 2147483647,
            producerId: -1n,
            producerEpoch: -1,
          });
          if (res.errorCode !== ErrorCode.NONE) throw new KafkaClientError(res.errorCode, 'InitProducerId');
          this.producerId = Number(res.producerId);
          this.producerEpoch = res.producerEpoch;
          return;
        } catch (e) {
          const err = e as Error;
          const retriable = (err instanceof KafkaClientError && err.retriable) || isNetworkError(err);
          if (!retriable || this.closed || ++attempt > this.cluster.retries) throw err;
          await sleep(this.cluster.retryBackoffMs * 2 ** Math.min(attempt - 1, 5));
        }
      }
    })();
    this.initializing.then(
      () => {
        this.initializing = undefined;
        this.scheduleSend();
      },
      (e: Error) => {
        this.initializing = undefined;
        const err = new Error(`idempotent producer: cannot get a producer id: ${e.message}`, { cause: e });
        const list = this.ready;
        this.ready = [];
        for (const b of list) finish(b, err, -1, -1);
      },
    );
  }

  /**
   * The ready batches that may go now, in the order to send them; the others are put in `held`. A partition's
   * numbered batches go in sequence order, none while an earlier one waits for its retry, and a new batch is numbered
   * only while fewer than 5 of the partition's batches are unacknowledged: the broker remembers the last 5 batches of
   * a producer, so a retry of any of them is recognised as a duplicate.
   */
  private sendableInOrder(held: PartitionBatch[]): PartitionBatch[] {
    // Stable: unnumbered batches keep their order, after the numbered ones (retries) in sequence order.
    const seq = (b: PartitionBatch) => b.baseSequence ?? 2 ** 31;
    this.ready.sort((a, b) => seq(a) - seq(b));
    const out: PartitionBatch[] = [];
    const going = new Set<PartitionBatch>();
    const added = new Map<string, number>();
    const blocked = new Set<string>();
    for (const b of this.ready) {
      const k = `${b.topic}\u0000${b.partition}`;
      if (b.baseSequence !== undefined && b.producerId !== this.producerId) {
        out.push(b); // numbered under a producer id given up: the broker answers, the sends fail
        continue;
      }
      const ps = this.sequenceOf(b);
      let ok = !blocked.has(k);
      for (const x of ps.unacked) {
        if (x === b) break;
        if (!x.sending && !going.has(x)) ok = false;
      }
      if (ok && b.baseSequence === undefined) ok = ps.unacked.length + (added.get(k) ?? 0) < 5;
      if (!ok) {
        blocked.add(k);
        held.push(b);
        continue;
      }
      if (b.baseSequence === undefined) added.set(k, (added.get(k) ?? 0) + 1);
      going.add(b);
      out.push(b);
    }
    return out;
  }

  private sequenceOf(b: PartitionBatch): PartitionSequence {
    return getOrInit(this.sequences, `${b.topic}\u0000${b.partition}`, () => ({ next: 0, unacked: [] }));
  }

  /** Gives a batch its sequence numbers, once: retries send the same bytes. */
  private number(b: PartitionBatch): void {
    const ps = this.sequenceOf(b);
    b.producerId = this.producerId;
    b.baseSequence = ps.next;
    ps.next = (ps.next + b.records.length) % 2 ** 31;
    ps.unacked.push(b);
  }

  private acked(b: PartitionBatch): void {
    if (b.producerId === undefined || b.producerId !== this.producerId) return;
    const ps = this.sequenceOf(b);
    const i = ps.unacked.indexOf(b);
    if (i >= 0) ps.unacked.splice(i, 1);
  }

  /**
   * A sequence error for a batch behind an earlier unacknowledged batch of its partition (which failed and is being
   * retried): the broker saw a gap; retried after the earlier one, as the Java client does.
   */
  private waitsForEarlierBatch(b: PartitionBatch, code: number): boolean {
    if (!SEQUENCE_ERRORS.has(code) || b.producerId !== this.producerId) return false;
    const ps = this.sequenceOf(b);
    return ps.unacked.length > 0 && ps.unacked[0] !== b && ps.unacked.includes(b);
  }

  /**
   * Fails a batch's sends. For a numbered batch the partition's sequence now has a gap the broker will not accept:
   * the producer takes a new producer id (sequences restart at 0); batches still numbered with the old id that the
   * broker rejects fail as well.
   */
  private fail(b: PartitionBatch, err: Error): void {
    if (b.producerId !== undefined && b.producerId === this.producerId && !b.finished) {
      this.producerId = -1;
      this.producerEpoch = -1;
      this.sequences.clear();
    }
    finish(b, err, -1, -1);
  }
}
