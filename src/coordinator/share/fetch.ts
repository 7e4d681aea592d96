// The share-partition leader's side of ShareFetch and ShareAcknowledge: share sessions (per group and member: the
// partitions fetched, and the session epoch), the SharePartition of every (group, topic, partition) this broker leads,
// loaded from the persister (or initialized at share.auto.offset.reset), acknowledgements, acquisition, reading the
// log for the acquired records, lock-timeout timers and releasing the records of members that left. Every state change
// is written through the persister before the answer goes out; records are handed out only once their acquisition is
// persisted.
import type { BrokerConfig } from '../../config/broker-config.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { batches } from '../../records/index.ts';
import type { Logger } from '../../util/log.ts';
import type { AckBatch, AcquiredRange } from './partition.ts';
import { SharePartition, type SharePartitionConfig } from './partition.ts';
import type { SharePersister } from './persister.ts';
import type { SharePartitionKey } from './records.ts';
import type { ShareStateUpdate } from './state.ts';

/** What the share-partition leader needs of a data partition. */
/** A ShareFetch's limits on what is acquired (MaxBytes, MaxRecords, BatchSize, ShareAcquireMode). */
export interface ShareFetchLimits {
  maxBytes: number;
  maxRecords: number;
  batchSize: number;
  /** 0 (default) batch-optimized, 1 record-limit. */
  acquireMode?: number;
}

export interface ShareLogPartition {
  readonly leaderEpoch: number;
  readonly lastStableOffset: number;
  readonly log: { readonly highWatermark: number; readonly logStartOffset: number };
  read(
    offset: number,
    maxBytes: number,
    minOneMessage: boolean,
    magic: number,
    readCommitted: boolean,
  ): { records: Buffer; abortedTransactions?: Array<{ producerId: number; firstOffset: number; lastOffset: number }> };
}

export interface SharePartitionsDeps {
  /** Broker configs (group.share.*). */
  config: Pick<BrokerConfig, 'get'>;
  /** Topic names by id, and GROUP config overrides (share.*), from the metadata image. */
  image: () => Pick<MetadataImage, 'topicsById' | 'groupConfigs'>;
  partition: (topic: string, partition: number) => ShareLogPartition | undefined;
  persister: SharePersister;
  log: Logger;
  clock: () => number;
}

export interface ShareTopicRequest {
  topicId: string;
  partitions: Array<{ partitionIndex: number; acknowledgementBatches: AckBatch[]; partitionMaxBytes?: number }>;
}

export interface SharePartitionResult {
  topicId: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  acknowledgeErrorCode: number;
  acknowledgeErrorMessage: string | null;
  leaderEpoch: number;
  records: Buffer | null;
  acquired: AcquiredRange[];
}

export interface ShareFetchResult {
  errorCode: number;
  errorMessage: string | null;
  partitions: SharePartitionResult[];
}

interface Entry {
  key: SharePartitionKey;
  topic: string;
  /** The data partition's leader epoch when the state was loaded: a new epoch loads it again. */
  leaderEpoch: number;
  stateEpoch: number;
  sp: SharePartition;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  /** Changes the share coordinator refused: written before (and with) the next ones. */
  unwritten: ShareStateUpdate | undefined;
  /** The writes in flight, in order: each change is written after the ones before it. */
  writes: Promise<void>;
}

interface Session {
  /** The epoch the next request must carry. */
  nextEpoch: number;
  /** The client connection that opened it (its close ends the session, as Kafka's ShareSessionCache). */
  connectionId: number | undefined;
  partitions: Map<string, { topicId: string; partition: number; maxBytes: number }>;
}

/** Records acquired per fetch when the request names no positive MaxRecords (Kafka's max.poll.records default). */
const MAX_RECORDS = 500;

const tpKey = (topicId: string, partition: number) => `${topicId}\0${partition}`;
const entryKey = (groupId: string, topicId: string, partition: number) => `${groupId}\0${topicId}\0${partition}`;

export class SharePartitions {
  readonly #deps: SharePartitionsDeps;
  readonly #entries = new Map<string, Entry>();
  /** Share-partitions being loaded (read or initialized through the persister): one load per key at a time. */
  readonly #loading = new Map<string, Promise<Entry>>();
  readonly #sessions = new Map<string, Session>();
  /** The groups that opened share sessions on each client connection. */
  readonly #connectionGroups = new Map<number, Set<string>>();
  #closed = false;

  constructor(deps: SharePartitionsDeps) {
    this.#deps = deps;
  }

  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) if (e.timer) clearTimeout(e.timer);
  }

  /** The share-partitions this broker holds for `groupId` (describe, CLI). */
  partitionsOf(groupId: string): Array<{ topic: string; partition: number; sp: SharePartition }> {
    return [...this.#entries.values()]
      .filter((e) => e.key.groupId === groupId)
      .map((e) => ({ topic: e.topic, partition: e.key.partition, sp: e.sp }));
  }

  #groupConfig(groupId: string): SharePartitionConfig & { earliest: boolean; readCommitted: boolean } {
    const o = this.#deps.image().groupConfigs.get(groupId) ?? {};
    const c = this.#deps.config;
    const pick = (group: string, broker: string, dflt: number) =>
      o[group] !== undefined ? Number(o[group]) : Number(c.get(broker) ?? dflt);
    return {
      lockDurationMs: pick('share.record.lock.duration.ms', 'group.share.record.lock.duration.ms', 30_000),
      deliveryCountLimit: pick('share.delivery.count.limit', 'group.share.delivery.count.limit', 5),
      maxRecordLocks: pick('share.partition.max.record.locks', 'group.share.partition.max.record.locks', 2000),
      earliest: o['share.auto.offset.reset'] === 'earliest',
      readCommitted: o['share.isolation.level'] === 'read_committed',
    };
  }

  /** The share-partition of (group, topic, partition), loaded from its persisted state or initialized. */
  async #entry(
    groupId: string,
    topicId: string,
    partition: number,
  ): Promise<{ entry: Entry; part: ShareLogPartition }> {
    const located = this.#locate(topicId, partition);
    const k = entryKey(groupId, topicId, partition);
    let entry = this.#entries.get(k);
    if (entry && entry.leaderEpoch !== located.part.leaderEpoch) {
      // Leadership moved away and back: another leader may have changed the persisted state meanwhile.
      if (entry.timer) clearTimeout(entry.timer);
      this.#entries.delete(k);
      entry = undefined;
    }
    if (!entry) {
      let loading = this.#loading.get(k);
      if (!loading) {
        loading = this.#load(groupId, topicId, partition, located.topic, located.part).finally(() =>
          this.#loading.delete(k),
        );
        this.#loading.set(k, loading);
      }
      entry = await loading;
    }
    // The partition may have changed leader while the state was loading.
    const { part } = this.#locate(topicId, partition);
    if (entry.leaderEpoch !== part.leaderEpoch) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${entry.topic}-${partition} changed leader epoch.`);
    }
    const cfg = this.#groupConfig(groupId);
    if (
      entry.sp.config.lockDurationMs !== cfg.lockDurationMs ||
      entry.sp.config.deliveryCountLimit !== cfg.deliveryCountLimit ||
      entry.sp.config.maxRecordLocks !== cfg.maxRecordLocks
    ) {
      entry.sp.setConfig(cfg);
    }
    entry.sp.advanceLogStart(part.log.logStartOffset);
    await this.#persist(entry);
    return { entry, part };
  }

  #locate(topicId: string, partition: number): { topic: string; part: ShareLogPartition } {
    const topic = this.#deps.image().topicsById.get(topicId);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Unknown topic id ${topicId}.`);
    const part = this.#deps.partition(topic.name, partition);
    if (!part) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic.name}-${partition} is not led by this broker.`);
    }
    return { topic: topic.name, part };
  }

  /** Reads the persisted state (initializing it at share.auto.offset.reset the first time) and builds the entry. */
  async #load(
    groupId: string,
    topicId: string,
    partition: number,
    topic: string,
    part: ShareLogPartition,
  ): Promise<Entry> {
    const leaderEpoch = part.leaderEpoch;
    const cfg = this.#groupConfig(groupId);
    const key = { groupId, topicId, partition };
    const persister = this.#deps.persister;
    let persisted = await persister.read(key);
    if (!persisted) {
      const start = cfg.earliest ? part.log.logStartOffset : part.log.highWatermark;
      const code = await persister.initialize(key, 0, start);
      if (code !== ErrorCode.NONE) throw new KafkaError(code, 'could not initialize the share-partition state');
      persisted = await persister.read(key);
      if (!persisted) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the initialized state is not there');
    }
    const entry: Entry = {
      key,
      topic,
      leaderEpoch,
      stateEpoch: persisted.stateEpoch,
      sp: SharePartition.fromPersisted(persisted, cfg),
      timer: undefined,
      timerAt: Infinity,
      unwritten: undefined,
      writes: Promise.resolve(),
    };
    if (!this.#closed) this.#entries.set(entryKey(groupId, topicId, partition), entry);
    return entry;
  }

  /**
   * Writes the share-partition's changes (taken now, written after the writes before them); resolves once the share
   * coordinator has them and rejects with a KafkaError when it refuses them or cannot be reached.
   */
  #persist(e: Entry): Promise<void> {
    this.#arm(e);
    const next = e.sp.takeUpdate();
    if (!next && !e.unwritten) return e.writes;
    const write = e.writes
      .catch(() => {})
      .then(async () => {
        const u = e.unwritten && next ? concatUpdates(e.unwritten, next) : (e.unwritten ?? next);
        if (!u) return;
        e.unwritten = undefined;
        let code: number;
        try {
          // The data partition's leader epoch: the share coordinator fences an older leader's late writes.
          code = await this.#deps.persister.write(e.key, e.stateEpoch, e.leaderEpoch, u);
        } catch (err) {
          code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
        }
        if (code === ErrorCode.FENCED_STATE_EPOCH || code === ErrorCode.FENCED_LEADER_EPOCH) {
          // Another leader or an offsets reset owns the state now: this copy is stale and loaded again when used.
          const k = entryKey(e.key.groupId, e.key.topicId, e.key.partition);
          if (this.#entries.get(k) === e) {
            if (e.timer) clearTimeout(e.timer);
            this.#entries.delete(k);
          }
          throw new KafkaError(code, 'the share-partition state was changed by another leader or a reset');
        }
        if (code !== ErrorCode.NONE) {
          // Kept, in order, for the next write: a refused change is never silently dropped.
          e.unwritten = e.unwritten ? concatUpdates(u, e.unwritten) : u;
          throw new KafkaError(code, 'could not persist the share-partition state');
        }
      });
    e.writes = write;
    return write;
  }

  #arm(e: Entry): void {
    if (this.#closed) return;
    const next = e.sp.nextLockDeadline();
    if (!Number.isFinite(next) || next >= e.timerAt) return;
    if (e.timer) clearTimeout(e.timer);
    e.timerAt = next;
    e.timer = setTimeout(
      () => {
        e.timer = undefined;
        e.timerAt = Infinity;
        e.sp.expireLocks(this.#deps.clock());
        this.#persist(e).catch((err) => {
          this.#deps.log.error({ err, group: e.key.groupId, topic: e.topic }, 'share-partition lock expiry failed');
        });
      },
      Math.max(0, next - this.#deps.clock()),
    );
    e.timer.unref();
  }

  /** The group is deleted: its share-partitions and sessions go (their persisted state is deleted by the caller). */
  forgetGroup(groupId: string): void {
    for (const [k, e] of this.#entries) {
      if (e.key.groupId !== groupId) continue;
      if (e.timer) clearTimeout(e.timer);
      this.#entries.delete(k);
    }
    for (const k of this.#sessions.keys()) if (k.startsWith(`${groupId}\0`)) this.#sessions.delete(k);
  }

  /** The share-partition's persisted state was replaced (offsets altered or deleted): it is loaded again when next
   * used. Its in-flight records are dropped with it. */
  forgetPartition(key: SharePartitionKey): void {
    const k = entryKey(key.groupId, key.topicId, key.partition);
    const e = this.#entries.get(k);
    if (!e) return;
    if (e.timer) clearTimeout(e.timer);
    this.#entries.delete(k);
  }

  /**
   * A client connection closed (Kafka's ShareSessionCache disconnect listener): the share sessions it opened end and
   * their members' acquired records are released (onMemberLeave); a group left with no share session on this broker
   * has its cached share-partitions dropped (onGroupEmpty), once their writes are done, so its next fetch loads the
   * persisted state again: an offsets reset (a new state epoch) or deletion made meanwhile by the group coordinator on
   * another broker is seen, even where no write of the stale copy would have been fenced.
   */
  connectionClosed(connectionId: number): void {
    const groups = this.#connectionGroups.get(connectionId);
    if (!groups || this.#closed) return;
    this.#connectionGroups.delete(connectionId);
    const left: Array<{ groupId: string; memberId: string }> = [];
    for (const [k, s] of this.#sessions) {
      if (s.connectionId !== connectionId) continue;
      const [groupId = '', memberId = ''] = k.split('\0');
      left.push({ groupId, memberId });
    }
    if (left.length > 0) this.releaseMembers(left);
    for (const groupId of groups) if (!this.#hasSession(groupId)) this.#groupEmpty(groupId);
  }

  #hasSession(groupId: string): boolean {
    for (const k of this.#sessions.keys()) if (k.startsWith(`${groupId}\0`)) return true;
    return false;
  }

  #groupEmpty(groupId: string): void {
    for (const [k, e] of this.#entries) {
      if (e.key.groupId !== groupId) continue;
      void e.writes
        .catch(() => {})
        .then(() => {
          if (this.#entries.get(k) !== e || this.#hasSession(groupId)) return;
          if (e.timer) clearTimeout(e.timer);
          this.#entries.delete(k);
        });
    }
  }

  /** Members left or timed out: their records are released, their share sessions closed. */
  releaseMembers(removed: Array<{ groupId: string; memberId: string }>): void {
    for (const { groupId, memberId } of removed) {
      this.#sessions.delete(`${groupId}\0${memberId}`);
      for (const e of this.#entries.values()) {
        if (e.key.groupId !== groupId) continue;
        if (e.sp.releaseMember(memberId) === 0) continue;
        this.#persist(e).catch((err) => {
          this.#deps.log.error({ err, group: groupId, topic: e.topic }, 'share-partition release failed');
        });
      }
    }
  }

  /**
   * The share session of a request: epoch 0 opens (or reopens) one, -1 is the last request of one, any other epoch
   * must be the session's next. Returns the session (undefined after a close) or an error.
   */
  #session(
    groupId: string,
    memberId: string,
    epoch: number,
    opening: boolean,
    connectionId?: number,
  ): { session?: Session; errorCode: number; errorMessage: string | null } {
    const k = `${groupId}\0${memberId}`;
    if (epoch === 0) {
      if (!opening) {
        return {
          errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH,
          errorMessage: 'ShareAcknowledge cannot open a share session.',
        };
      }
      const session: Session = { nextEpoch: 1, connectionId, partitions: new Map() };
      this.#sessions.set(k, session);
      if (connectionId !== undefined) {
        const groups = this.#connectionGroups.get(connectionId) ?? new Set<string>();
        groups.add(groupId);
        this.#connectionGroups.set(connectionId, groups);
      }
      return { session, errorCode: ErrorCode.NONE, errorMessage: null };
    }
    const session = this.#sessions.get(k);
    if (!session) {
      return { errorCode: ErrorCode.SHARE_SESSION_NOT_FOUND, errorMessage: `No share session for member ${memberId}.` };
    }
    if (epoch === -1) {
      this.#sessions.delete(k);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    }
    if (epoch !== session.nextEpoch) {
      return {
        errorCode: ErrorCode.INVALID_SHARE_SESSION_EPOCH,
        errorMessage: `Share session epoch ${epoch} is not the expected ${session.nextEpoch}.`,
      };
    }
    session.nextEpoch = session.nextEpoch === 2147483647 ? 1 : session.nextEpoch + 1;
    return { session, errorCode: ErrorCode.NONE, errorMessage: null };
  }

  async #acknowledge(
    groupId: string,
    memberId: string,
    topics: ShareTopicRequest[],
    results: Map<string, SharePartitionResult>,
  ): Promise<void> {
    for (const t of topics) {
      for (const p of t.partitions) {
        const r = result(results, t.topicId, p.partitionIndex);
        if (p.acknowledgementBatches.length === 0) continue;
        try {
          const { entry, part } = await this.#entry(groupId, t.topicId, p.partitionIndex);
          r.leaderEpoch = part.leaderEpoch;
          const errors = entry.sp.acknowledge(memberId, p.acknowledgementBatches, this.#deps.clock());
          await this.#persist(entry);
          const bad = errors.find((c) => c !== ErrorCode.NONE);
          if (bad !== undefined) {
            r.acknowledgeErrorCode = bad;
            r.acknowledgeErrorMessage =
              bad === ErrorCode.INVALID_REQUEST
                ? 'An acknowledgement batch is malformed (offsets or acknowledge types).'
                : 'Some acknowledged records are not acquired by this member (or their lock timed out).';
          }
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          r.acknowledgeErrorCode = e.code;
          r.acknowledgeErrorMessage = e.message;
        }
      }
    }
  }

  /** ShareFetch: acknowledgements first, then records acquired on the session's partitions. */
  async fetch(req: {
    groupId: string;
    memberId: string;
    shareSessionEpoch: number;
    topics: ShareTopicRequest[];
    forgotten: Array<{ topicId: string; partitions: number[] }>;
    maxBytes: number;
    /** At most this many records acquired over all partitions (v1+ MaxRecords). */
    maxRecords: number;
    /** Acquired ranges are cut into runs of at most this many records (v1+ BatchSize). */
    batchSize: number;
    /** v2+ ShareAcquireMode: 0 batch-optimized (MaxRecords may be exceeded to a batch boundary), 1 record-limit. */
    acquireMode?: number;
    /** Only acknowledgements (RENEW ones among them, v2+ IsRenewAck): nothing is acquired. */
    acknowledgeOnly: boolean;
    /** The client connection the request came on (connectionClosed ends the sessions it opened). */
    connectionId?: number;
  }): Promise<ShareFetchResult> {
    const s = this.#session(req.groupId, req.memberId, req.shareSessionEpoch, true, req.connectionId);
    if (s.errorCode !== ErrorCode.NONE) return { errorCode: s.errorCode, errorMessage: s.errorMessage, partitions: [] };
    const hasAcks = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
    if (req.shareSessionEpoch === 0 && hasAcks) {
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: 'Acknowledgements cannot be sent in the request that opens a share session.',
        partitions: [],
      };
    }
    const results = new Map<string, SharePartitionResult>();
    await this.#acknowledge(req.groupId, req.memberId, req.topics, results);
    const session = s.session;
    if (session) {
      for (const t of req.topics) {
        for (const p of t.partitions) {
          session.partitions.set(tpKey(t.topicId, p.partitionIndex), {
            topicId: t.topicId,
            partition: p.partitionIndex,
            maxBytes: p.partitionMaxBytes ?? req.maxBytes,
          });
        }
      }
      for (const f of req.forgotten) for (const p of f.partitions) session.partitions.delete(tpKey(f.topicId, p));
      if (!req.acknowledgeOnly) await this.#acquireAll(req.groupId, req.memberId, session, req, results);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, partitions: [...results.values()] };
  }

  /** Another fetch attempt on an open session (long polling), without acknowledgements. */
  async refetch(groupId: string, memberId: string, limits: ShareFetchLimits): Promise<SharePartitionResult[]> {
    const session = this.#sessions.get(`${groupId}\0${memberId}`);
    if (!session) return [];
    const results = new Map<string, SharePartitionResult>();
    await this.#acquireAll(groupId, memberId, session, limits, results);
    return [...results.values()];
  }

  /** The acquisition lock duration of the group's records (ShareFetch v1+ / ShareAcknowledge v2+ answer it). */
  lockDurationMs(groupId: string): number {
    return this.#groupConfig(groupId).lockDurationMs;
  }

  /** Acquires on every partition of the session, within MaxRecords over all of them. */
  async #acquireAll(
    groupId: string,
    memberId: string,
    session: Session,
    limits: ShareFetchLimits,
    results: Map<string, SharePartitionResult>,
  ): Promise<void> {
    let left = limits.maxRecords > 0 ? limits.maxRecords : MAX_RECORDS;
    const batchSize = limits.batchSize > 0 ? limits.batchSize : left;
    for (const p of session.partitions.values()) {
      if (left <= 0) break;
      const max = Math.min(p.maxBytes, limits.maxBytes);
      const r = result(results, p.topicId, p.partition);
      await this.#acquireInto(groupId, memberId, p.topicId, p.partition, max, left, limits.acquireMode !== 1, r);
      r.acquired = splitRanges(r.acquired, batchSize);
      for (const a of r.acquired) left -= a.lastOffset - a.firstOffset + 1;
    }
  }

  /** ShareAcknowledge: acknowledgements on an open session (epoch -1 closes it). */
  async acknowledge(req: {
    groupId: string;
    memberId: string;
    shareSessionEpoch: number;
    topics: ShareTopicRequest[];
  }): Promise<ShareFetchResult> {
    const s = this.#session(req.groupId, req.memberId, req.shareSessionEpoch, false);
    if (s.errorCode !== ErrorCode.NONE) return { errorCode: s.errorCode, errorMessage: s.errorMessage, partitions: [] };
    const results = new Map<string, SharePartitionResult>();
    await this.#acknowledge(req.groupId, req.memberId, req.topics, results);
    return { errorCode: ErrorCode.NONE, errorMessage: null, partitions: [...results.values()] };
  }

  async #acquireInto(
    groupId: string,
    memberId: string,
    topicId: string,
    partition: number,
    maxBytes: number,
    maxRecords: number,
    batchOptimized: boolean,
    r: SharePartitionResult,
  ): Promise<void> {
    try {
      const { entry, part } = await this.#entry(groupId, topicId, partition);
      r.leaderEpoch = part.leaderEpoch;
      const cfg = this.#groupConfig(groupId);
      const now = this.#deps.clock();
      const limit = cfg.readCommitted ? part.lastStableOffset : part.log.highWatermark;
      const from = entry.sp.firstAcquirable(now);
      if (from >= limit) {
        await this.#persist(entry);
        return;
      }
      // Read first, then acquire only what the read returned: every acquired record is in the answer.
      const { records, abortedTransactions } = part.read(from, Math.max(1, maxBytes), true, 2, cfg.readCommitted);
      let readEnd = from;
      const ends: number[] = [];
      for (const b of batches(records)) {
        readEnd = b.header.baseOffset + b.header.lastOffsetDelta + 1;
        ends.push(readEnd);
      }
      const skipped = unreadableRanges(records, abortedTransactions ?? []);
      const skip = skipped.length === 0 ? undefined : (o: number) => skipped.some(([f, l]) => o >= f && o <= l);
      // The end of the batch read that holds offset o (batches are in offset order).
      const batchEnd = batchOptimized ? (o: number) => ends.find((e) => e > o) ?? o + 1 : undefined;
      const acquired = entry.sp.acquire(memberId, maxRecords, Math.min(readEnd, limit), now, skip, batchEnd);
      await this.#persist(entry);
      if (acquired.length > 0) {
        r.acquired = acquired;
        r.records = records;
      }
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      r.errorCode = e.code;
      r.errorMessage = e.message;
    }
  }
}

function result(results: Map<string, SharePartitionResult>, topicId: string, partition: number): SharePartitionResult {
  const k = tpKey(topicId, partition);
  let r = results.get(k);
  if (!r) {
    r = {
      topicId,
      partition,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acknowledgeErrorCode: ErrorCode.NONE,
      acknowledgeErrorMessage: null,
      leaderEpoch: -1,
      records: null,
      acquired: [],
    };
    results.set(k, r);
  }
  return r;
}

/**
 * Offset ranges of `records` a share consumer must never get: transaction markers (control batches), and the batches
 * of aborted transactions when `aborted` (read_committed) names them.
 */
export function unreadableRanges(
  records: Buffer,
  aborted: ReadonlyArray<{ producerId: number; firstOffset: number; lastOffset: number }>,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const b of batches(records)) {
    const h = b.header;
    const last = h.baseOffset + h.lastOffsetDelta;
    const abortedBatch =
      h.isTransactional &&
      aborted.some(
        (a) => a.producerId === h.producerId && a.firstOffset <= h.baseOffset && h.baseOffset <= a.lastOffset,
      );
    if (h.isControl || abortedBatch) out.push([h.baseOffset, last]);
  }
  return out;
}

/** Acquired ranges cut into runs of at most `size` records (BatchSize), so acknowledgements come in that size. */
export function splitRanges(ranges: AcquiredRange[], size: number): AcquiredRange[] {
  if (ranges.every((a) => a.lastOffset - a.firstOffset < size)) return ranges;
  const out: AcquiredRange[] = [];
  for (const a of ranges) {
    for (let f = a.firstOffset; f <= a.lastOffset; f += size) {
      out.push({ firstOffset: f, lastOffset: Math.min(a.lastOffset, f + size - 1), deliveryCount: a.deliveryCount });
    }
  }
  return out;
}

/** Two updates as one: `b`'s batches are applied after `a`'s, and the later start offset wins. */
function concatUpdates(a: ShareStateUpdate, b: ShareStateUpdate): ShareStateUpdate {
  return { startOffset: Math.max(a.startOffset, b.startOffset), batches: [...a.batches, ...b.batches] };
}
