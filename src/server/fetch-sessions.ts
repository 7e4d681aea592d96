// Incremental fetch sessions (KIP-227), Kafka's FetchSession / FetchSessionCache / FetchManager as pure logic over an
// injected clock. A fetcher (a consumer, or a follower broker's replica fetcher) opens a session with a full fetch
// (session id 0, epoch 0); the broker keeps its partitions and their fetch parameters, and answers with the session
// id. Each later fetch (that id, the next epoch) lists only partitions that were added or whose parameters changed
// (and forgotten ones), and the answer carries only partitions with something new: records, a moved high watermark,
// last stable offset or log start offset, an error, a diverging epoch or a preferred read replica. An idle partition
// thus costs nothing on the wire. Epoch -1 is a sessionless full fetch (closing the named session); a wrong epoch is
// INVALID_FETCH_SESSION_EPOCH, an unknown id FETCH_SESSION_ID_NOT_FOUND, and the fetcher starts over with a full fetch.
// The cache holds max.incremental.fetch.session.cache.slots sessions; when full, a new one evicts a session unused for
// MIN_EVICTION_MS, else (Kafka's EvictableKey order) an unprivileged one with fewer partitions, and a follower's
// (privileged) session any unprivileged one; otherwise it is not created and the answer's session id is 0.
import { ErrorCode } from '../protocol/errors.ts';
import { assert } from '../util/assert.ts';

/** Kafka's min.incremental.fetch.session.eviction.ms (an internal setting there too). */
export const MIN_EVICTION_MS = 120_000;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** What a fetch asks of one partition (from the request, or cached in a session). */
export interface SessionPartition {
  /** The topic id (Fetch v13+), '' for name-keyed sessions. */
  readonly topicId: string;
  /** The topic name (Fetch v12 and older); resolved from the topic id per fetch otherwise. */
  readonly topic: string;
  readonly partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** The fetcher's own log start offset (followers), -1 for consumers. */
  logStartOffset: number;
  /** What the last answer in this session told the fetcher (-1 before the first, and after an error). */
  highWatermark: number;
  lastStableOffset: number;
  localLogStartOffset: number;
}

/** The parts of a partition's answer that decide whether an incremental response carries it. */
export interface PartitionAnswerSummary {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  recordBytes: number;
  diverging: boolean;
  preferredReadReplica: number;
}

interface Session {
  readonly id: number;
  readonly privileged: boolean;
  readonly usesTopicIds: boolean;
  /** The epoch the next incremental fetch must carry. */
  epoch: number;
  lastUsedMs: number;
  /** In fetch order: answered partitions move to the end, so a size-limited response rotates over them. */
  readonly partitions: Map<string, SessionPartition>;
}

export type FetchContext =
  /** The request is refused as a whole (top-level error code, no partitions, session id 0). */
  | { readonly kind: 'error'; readonly errorCode: number; readonly message: string }
  /** A full fetch without a session (v6 and older, epoch -1, an emptied session): everything answered, id 0. */
  | { readonly kind: 'sessionless'; readonly partitions: SessionPartition[] }
  /** A full fetch opening a session: everything answered; `createSession` after the reads. */
  | { readonly kind: 'full'; readonly partitions: SessionPartition[] }
  /** An incremental fetch: reads every session partition; `respond` picks what the answer carries. */
  | { readonly kind: 'incremental'; readonly sessionId: number; readonly partitions: SessionPartition[] };

export interface FetchSessionRequest {
  sessionId: number;
  sessionEpoch: number;
  /** A follower broker's fetch (replica id >= 0): its sessions are kept in preference to consumers'. */
  privileged: boolean;
  /** Fetch v13+: partitions are keyed by topic id. */
  usesTopicIds: boolean;
  partitions: SessionPartition[];
  forgotten: Array<{ topicId: string; topic: string; partition: number }>;
}

export function partitionKey(usesTopicIds: boolean, topicId: string, topic: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}:${partition}`;
}

/** The epoch after `epoch` (Kafka's FetchMetadata.nextEpoch). */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

export class FetchSessionCache {
  readonly #maxSlots: () => number;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #sessions = new Map<number, Session>();
  #evictions = 0;

  constructor(opts: { maxSlots: () => number; clock: () => number; random?: () => number }) {
    this.#maxSlots = opts.maxSlots;
    this.#clock = opts.clock;
    this.#random = opts.random ?? Math.random;
  }

  /** Sessions held (Kafka's NumIncrementalFetchSessions). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Partitions over all sessions (NumIncrementalFetchPartitionsCached). */
  get partitionsCached(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s.partitions.size;
    return n;
  }

  /** Sessions evicted to make room for new ones (IncrementalFetchSessionEvictionsPerSec, as a total). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Decides how a fetch is served (Kafka's FetchManager.newContext). */
  newContext(req: FetchSessionRequest): FetchContext {
    if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
      // A full fetch: it closes the named session, and opens a new one unless the epoch is final.
      if (req.sessionId !== 0) this.#sessions.delete(req.sessionId);
      return req.sessionEpoch === FINAL_EPOCH
        ? { kind: 'sessionless', partitions: req.partitions }
        : { kind: 'full', partitions: req.partitions };
    }
    const s = this.#sessions.get(req.sessionId);
    if (s === undefined)
      return {
        kind: 'error',
        errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
        message: `fetch session ${req.sessionId} is not (or no longer) cached`,
      };
    if (s.epoch !== req.sessionEpoch)
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
        message: `fetch session ${req.sessionId} expected epoch ${s.epoch}, got ${req.sessionEpoch}`,
      };
    if (s.usesTopicIds !== req.usesTopicIds)
      return {
        kind: 'error',
        errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR,
        message: `fetch session ${req.sessionId} was opened ${s.usesTopicIds ? 'with' : 'without'} topic ids`,
      };
    for (const p of req.partitions) {
      const key = partitionKey(s.usesTopicIds, p.topicId, p.topic, p.partition);
      const cached = s.partitions.get(key);
      if (cached === undefined) s.partitions.set(key, p);
      else {
        cached.fetchOffset = p.fetchOffset;
        cached.maxBytes = p.maxBytes;
        cached.currentLeaderEpoch = p.currentLeaderEpoch;
        cached.lastFetchedEpoch = p.lastFetchedEpoch;
        cached.logStartOffset = p.logStartOffset;
      }
    }
    for (const f of req.forgotten) s.partitions.delete(partitionKey(s.usesTopicIds, f.topicId, f.topic, f.partition));
    if (s.partitions.size === 0) {
      this.#sessions.delete(s.id);
      return { kind: 'sessionless', partitions: [] };
    }
    s.lastUsedMs = this.#clock();
    s.epoch = nextEpoch(s.epoch);
    return { kind: 'incremental', sessionId: s.id, partitions: [...s.partitions.values()] };
  }

  /**
   * After a full fetch was read: opens its session with what the answers said (HW, log start), evicting another if
   * the cache is full and one may go. Returns the session id to answer, 0 when no session was created.
   */
  createSession(
    privileged: boolean,
    usesTopicIds: boolean,
    partitions: readonly SessionPartition[],
    answers: readonly PartitionAnswerSummary[],
  ): number {
    assert(partitions.length === answers.length, 'one answer per fetched partition');
    if (partitions.length === 0) return 0;
    const now = this.#clock();
    if (this.#sessions.size >= this.#maxSlots() && !this.#evictOne(privileged, partitions.length, now)) return 0;
    let id = 0;
    while (id === 0 || this.#sessions.has(id)) id = 1 + Math.floor(this.#random() * 0x7ffffffe);
    const map = new Map<string, SessionPartition>();
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i]!;
      const a = answers[i]!;
      p.highWatermark = a.errorCode === ErrorCode.NONE ? a.highWatermark : -1;
      p.lastStableOffset = a.lastStableOffset;
      p.localLogStartOffset = a.logStartOffset;
      map.set(partitionKey(usesTopicIds, p.topicId, p.topic, p.partition), p);
    }
    this.#sessions.set(id, { id, privileged, usesTopicIds, epoch: 1, lastUsedMs: now, partitions: map });
    return id;
  }

  /**
   * Whether an incremental response carries `p` given its answer (Kafka's CachedPartition.maybeUpdateResponseData);
   * records what the fetcher now knows, and moves an answered partition to the end of the session's order.
   */
  respond(sessionId: number, p: SessionPartition, a: PartitionAnswerSummary): boolean {
    let must = a.recordBytes > 0 || a.diverging || a.preferredReadReplica >= 0;
    if (p.highWatermark !== a.highWatermark) {
      must = true;
      p.highWatermark = a.highWatermark;
    }
    if (p.lastStableOffset !== a.lastStableOffset) {
      must = true;
      p.lastStableOffset = a.lastStableOffset;
    }
    if (p.localLogStartOffset !== a.logStartOffset) {
      must = true;
      p.localLogStartOffset = a.logStartOffset;
    }
    if (a.errorCode !== ErrorCode.NONE) {
      // Answered, and once the error goes away answered again (the HW then differs).
      must = true;
      p.highWatermark = -1;
    }
    if (must) {
      const s = this.#sessions.get(sessionId);
      const key = partitionKey(s?.usesTopicIds ?? true, p.topicId, p.topic, p.partition);
      if (s !== undefined && s.partitions.get(key) === p) {
        s.partitions.delete(key);
        s.partitions.set(key, p);
      }
    }
    return must;
  }

  #evictOne(privileged: boolean, size: number, now: number): boolean {
    let stale: Session | undefined;
    let smallest: Session | undefined;
    for (const s of this.#sessions.values()) {
      if (stale === undefined || s.lastUsedMs < stale.lastUsedMs) stale = s;
      if (!s.privileged && (smallest === undefined || s.partitions.size < smallest.partitions.size)) smallest = s;
    }
    let victim: Session | undefined;
    if (stale !== undefined && now - stale.lastUsedMs > MIN_EVICTION_MS) victim = stale;
    else if (smallest !== undefined && (privileged || smallest.partitions.size < size)) victim = smallest;
    if (victim === undefined) return false;
    this.#sessions.delete(victim.id);
    this.#evictions++;
    return true;
  }
}
