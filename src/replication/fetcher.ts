// Replica fetchers (Kafka's ReplicaFetcherThread): the partitions this broker follows are fetched from their
// leaders, `num.replica.fetchers` connections per source broker (a partition goes to one by the hash of its name),
// over the inter-broker listener with the TS client's connection. Each fetcher sends one Fetch (v15, ReplicaState
// with this broker's id) for all its partitions that are not backing off, long-polling at the leader for
// replica.fetch.wait.max.ms; the follower core decides offsets and truncation (divergingEpoch), and learns the HW.
// Each fetcher keeps an incremental fetch session with its leader (KIP-227, fetch-session.ts): after the first full
// fetch only partitions whose fetch offset or epochs changed (or that were added or dropped) are sent, and the
// leader answers only partitions with something new, so an idle partition costs nothing per request.
import { BrokerConnection } from '../client/connection.ts';
import type { ClientSecurity } from '../client/security.ts';
import { ApiKey } from '../protocol/apis.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { FetchRequest, FetchResponse } from '../protocol/generated/messages.ts';
import type { Logger } from '../util/log.ts';
import { FetchSessionClient, type PartitionFetchData } from './fetch-session.ts';
import type { FetchAnswer, PartitionFollower } from './follower.ts';
import type { ReplicaFetch } from './types.ts';

/** What a fetcher needs of a followed partition (the broker's Partition). */
export interface FetchedPartition {
  readonly topic: string;
  readonly topicId: string;
  readonly index: number;
  readonly key: string;
  /** The local log start offset (sent in fetches, so the leader knows what this replica can serve). */
  logStartOffset(): number;
  /** Empties the log to start at `offset` (the leader's log start, when the follower fell below it). */
  restartAt(offset: number): void;
}

export interface FetcherSettings {
  nodeId: number;
  /** Broker epoch of this broker's registration (ReplicaState.replicaEpoch); -1 when unknown. */
  brokerEpoch: () => bigint;
  numFetchers: number;
  /** replica.fetch.max.bytes */
  fetchMaxBytes: number;
  /** replica.fetch.response.max.bytes */
  responseMaxBytes: number;
  /** replica.fetch.wait.max.ms */
  waitMaxMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
  /** replica.socket.timeout.ms */
  socketTimeoutMs: number;
  /** TLS / SASL for the inter-broker listener (node/inter-broker.ts). */
  security?: ClientSecurity;
  /** The leader's endpoint on the inter-broker listener, from the metadata. */
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
  /** Replication throttles (follower side): `skip` leaves a partition out of the next fetch; `record` counts the
   * bytes fetched for it. */
  throttle?: {
    skip(p: FetchedPartition, inSync: boolean): boolean;
    record(p: FetchedPartition, bytes: number): void;
  };
  /** Called after a partition's log or HW may have changed (appended, truncated, new HW). */
  onProgress: (p: FetchedPartition) => void;
  logger: Logger;
}

/** What the replica fetchers sent, for tests and metrics. */
export interface FetcherStats {
  requests: number;
  fullRequests: number;
  /** Partitions listed in requests, over all requests. */
  partitionsSent: number;
  /** Partitions carried by answers, over all answers. */
  partitionsAnswered: number;
  /** FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH answers (each followed by a full fetch). */
  sessionErrors: number;
}

interface Entry {
  part: FetchedPartition;
  follower: PartitionFollower<Buffer>;
  /** No fetch before this time (after an error), on the monotonic clock (performance.now: a wall-clock step must not
   * stretch a backoff). */
  delayUntil: number;
  /** FENCED_LEADER_EPOCH: our metadata is stale; wait for a new role. */
  paused: boolean;
  /** The last answer found this replica at the leader's HW (a throttled replica in sync is not throttled). */
  inSync: boolean;
}

export class ReplicaFetcherManager {
  readonly #s: FetcherSettings;
  readonly #fetchers = new Map<string, ReplicaFetcher>();
  /** Partition key → fetcher key. */
  readonly #assigned = new Map<string, string>();

  constructor(settings: FetcherSettings) {
    this.#s = settings;
  }

  /** Fetches `part` from `follower.leaderId` (replacing any earlier follower state of the partition). */
  add(part: FetchedPartition, follower: PartitionFollower<Buffer>): void {
    this.remove(part);
    const key = `${follower.leaderId}:${hash(part.key) % Math.max(1, this.#s.numFetchers)}`;
    let f = this.#fetchers.get(key);
    if (f === undefined) {
      f = new ReplicaFetcher(follower.leaderId, this.#s, this.stats);
      this.#fetchers.set(key, f);
    }
    f.add({ part, follower, delayUntil: 0, paused: false, inSync: false });
    this.#assigned.set(part.key, key);
  }

  remove(part: FetchedPartition): void {
    const key = this.#assigned.get(part.key);
    if (key === undefined) return;
    this.#assigned.delete(part.key);
    const f = this.#fetchers.get(key);
    if (f === undefined) return;
    f.remove(part.key);
    if (f.size === 0) {
      f.stop();
      this.#fetchers.delete(key);
    }
  }

  /** How many partitions are being fetched (for tests and metrics). */
  get size(): number {
    return this.#assigned.size;
  }

  /** Totals since start, over every fetcher (stopped ones included). */
  readonly stats: FetcherStats = {
    requests: 0,
    fullRequests: 0,
    partitionsSent: 0,
    partitionsAnswered: 0,
    sessionErrors: 0,
  };

  close(): void {
    for (const f of this.#fetchers.values()) f.stop();
    this.#fetchers.clear();
    this.#assigned.clear();
  }
}

/** How soon a fetcher whose partitions are all throttled looks at the quota again. */
const THROTTLED_RECHECK_MS = 100;

class ReplicaFetcher {
  readonly #leader: number;
  readonly #s: FetcherSettings;
  readonly #entries = new Map<string, Entry>();
  readonly #session = new FetchSessionClient();
  readonly #stats: FetcherStats;
  #conn: BrokerConnection | undefined;
  #running = true;
  #wake: (() => void) | undefined;

  constructor(leader: number, settings: FetcherSettings, stats: FetcherStats) {
    this.#leader = leader;
    this.#s = settings;
    this.#stats = stats;
    void this.#loop();
  }

  get size(): number {
    return this.#entries.size;
  }

  add(e: Entry): void {
    this.#entries.set(e.part.key, e);
    this.#wake?.();
  }

  remove(key: string): void {
    this.#entries.delete(key);
  }

  stop(): void {
    this.#running = false;
    this.#conn?.close();
    this.#conn = undefined;
    this.#wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    }).then(() => {
      this.#wake = undefined;
    });
  }

  async #loop(): Promise<void> {
    const log = this.#s.logger;
    while (this.#running) {
      const now = performance.now();
      const throttle = this.#s.throttle;
      let throttled = false;
      const ready = [...this.#entries.values()].filter((e) => {
        if (e.paused || e.delayUntil > now) return false;
        if (throttle?.skip(e.part, e.inSync)) {
          throttled = true;
          return false;
        }
        return true;
      });
      if (ready.length === 0) {
        let next = Math.min(...[...this.#entries.values()].filter((e) => !e.paused).map((e) => e.delayUntil));
        // Throttled partitions are looked at again when the quota may have room.
        if (throttled) next = Math.min(next, now + THROTTLED_RECHECK_MS);
        await this.#sleep(Number.isFinite(next) ? Math.max(10, next - now) : 1000);
        continue;
      }
      try {
        const conn = await this.#connection();
        await this.#fetchOnce(conn, ready);
      } catch (e) {
        if (!this.#running) break;
        log.warn(
          { leader: this.#leader, err: e instanceof Error ? e.message : String(e) },
          'replica fetch failed; retrying after replica.fetch.backoff.ms',
        );
        this.#conn?.close();
        this.#conn = undefined;
        this.#session.reset();
        await this.#sleep(this.#s.backoffMs);
      }
    }
  }

  async #connection(): Promise<BrokerConnection> {
    if (this.#conn?.isOpen) return this.#conn;
    const ep = this.#s.endpoint(this.#leader);
    if (ep === undefined) throw new Error(`no endpoint for broker ${this.#leader} on the inter-broker listener`);
    const id = `replica-fetcher-${this.#s.nodeId}`;
    const conn = await BrokerConnection.open(ep.host, ep.port, id, 10_000, this.#s.security);
    conn.requestTimeoutMs = this.#s.socketTimeoutMs + this.#s.waitMaxMs;
    this.#conn = conn;
    return conn;
  }

  async #fetchOnce(conn: BrokerConnection, ready: Entry[]): Promise<void> {
    const sent = new Map<string, { e: Entry; req: ReplicaFetch }>();
    const data: PartitionFetchData[] = [];
    for (const e of ready) {
      const req = e.follower.nextFetch();
      sent.set(`${e.part.topicId}:${e.part.index}`, { e, req });
      data.push({
        topicId: e.part.topicId,
        partition: e.part.index,
        fetchOffset: req.fetchOffset,
        currentLeaderEpoch: req.currentLeaderEpoch,
        lastFetchedEpoch: req.lastFetchedEpoch,
        logStartOffset: e.part.logStartOffset(),
        maxBytes: this.#s.fetchMaxBytes,
      });
    }
    const plan = this.#session.plan(data);
    const topics = new Map<string, Array<Record<string, unknown>>>();
    for (const d of plan.toSend) {
      let parts = topics.get(d.topicId);
      if (parts === undefined) {
        parts = [];
        topics.set(d.topicId, parts);
      }
      parts.push({
        partition: d.partition,
        currentLeaderEpoch: d.currentLeaderEpoch,
        fetchOffset: BigInt(d.fetchOffset),
        lastFetchedEpoch: d.lastFetchedEpoch,
        logStartOffset: BigInt(d.logStartOffset),
        partitionMaxBytes: d.maxBytes,
      });
    }
    const forgotten = new Map<string, number[]>();
    for (const f of plan.toForget) {
      const list = forgotten.get(f.topicId);
      if (list === undefined) forgotten.set(f.topicId, [f.partition]);
      else list.push(f.partition);
    }
    const body = {
      replicaState: { replicaId: this.#s.nodeId, replicaEpoch: this.#s.brokerEpoch() },
      maxWaitMs: this.#s.waitMaxMs,
      minBytes: this.#s.minBytes,
      maxBytes: this.#s.responseMaxBytes,
      isolationLevel: 0,
      sessionId: plan.sessionId,
      sessionEpoch: plan.sessionEpoch,
      topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
      forgottenTopicsData: [...forgotten].map(([topicId, partitions]) => ({ topicId, partitions })),
      rackId: '',
    };
    this.#stats.requests++;
    if (plan.full) this.#stats.fullRequests++;
    this.#stats.partitionsSent += plan.toSend.length;
    const res = await conn.send<FetchResponse, FetchRequest>(ApiKey.Fetch, 15, body as never);
    this.#session.onResponse(plan, res.errorCode, res.sessionId);
    if (
      res.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ||
      res.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH
    ) {
      // The leader lost or moved past our session (restarted, evicted it): the next fetch is a full one.
      this.#stats.sessionErrors++;
      this.#s.logger.info(
        { leader: this.#leader, error: errorName(res.errorCode), sessionId: plan.sessionId },
        'fetch session refused by the leader; sending a full fetch',
      );
      return;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`Fetch answered ${errorName(res.errorCode)}`);
    const now = performance.now();
    for (const t of res.responses) {
      this.#stats.partitionsAnswered += t.partitions.length;
      for (const p of t.partitions) {
        const s = sent.get(`${t.topicId}:${p.partitionIndex}`);
        if (s === undefined) continue;
        const { e, req } = s;
        // The partition may have been removed or given a new role while the fetch was out. Its answer is dropped, but
        // the leader's session counts it as delivered (a HW it will not send again): start the session over.
        if (this.#entries.get(e.part.key) !== e) {
          this.#session.reset();
          continue;
        }
        const records = p.records ?? Buffer.alloc(0);
        const diverging =
          p.divergingEpoch !== undefined && (p.divergingEpoch.epoch >= 0 || Number(p.divergingEpoch.endOffset) >= 0)
            ? { epoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) }
            : undefined;
        const answer: FetchAnswer<Buffer> = {
          error: p.errorCode,
          divergingEpoch: diverging,
          highWatermark: Number(p.highWatermark),
          batches: records,
          records: records.length > 0 ? 1 : 0,
        };
        try {
          const leaderStart = Number(p.logStartOffset);
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && leaderStart > req.fetchOffset) {
            // Below the leader's log start: what we would fetch is gone; start over there (as Kafka's follower).
            e.part.restartAt(leaderStart);
            this.#s.onProgress(e.part);
            continue;
          }
          if (records.length > 0) this.#s.throttle?.record(e.part, records.length);
          const action = e.follower.onFetchAnswer(req, answer);
          if (p.errorCode === ErrorCode.NONE && diverging === undefined)
            e.inSync = Number(p.highWatermark) <= e.follower.nextFetch().fetchOffset;
          if (action === 'waitForMetadata') e.paused = true;
          else if (action === 'backoff' && p.errorCode !== ErrorCode.NONE) {
            e.delayUntil = now + this.#s.backoffMs;
            this.#s.logger.debug(
              { partition: e.part.key, leader: this.#leader, error: errorName(p.errorCode) },
              'replica fetch error',
            );
          }
        } catch (err) {
          e.delayUntil = now + this.#s.backoffMs;
          this.#s.logger.error(
            { partition: e.part.key, leader: this.#leader, err },
            'could not append fetched records; retrying',
          );
        }
        this.#s.onProgress(e.part);
      }
    }
  }
}

/** A stable, cheap string hash (FNV-1a) to spread partitions over fetchers. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
