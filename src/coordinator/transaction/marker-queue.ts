// The transaction coordinator's marker queue as pure logic (Kafka's TransactionMarkerChannelManager and its
// request completion handler): a transaction end becomes one job with a marker per partition; each marker goes to
// the partition's current leader, batched per broker with at most one request in flight per broker; a retriable
// answer (NOT_LEADER_OR_FOLLOWER, a timeout, a lost connection, ...) sends it again after a backoff to whoever leads
// the partition then; a partition that no longer exists needs no marker; a fenced answer (the producer or the
// coordinator epoch moved on) abandons the job. A job completes when every marker is written, and only then may the
// coordinator write CompleteCommit / CompleteAbort. No I/O and no clock: the driver (marker-channel.ts) sends what
// `poll` returns and feeds the answers back.
import { ErrorCode } from '../../protocol/errors.ts';
import { assert } from '../../util/assert.ts';
import type { TopicPartition } from './state.ts';

export interface MarkerJob {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  /** The transaction version the markers are written under (WriteTxnMarkers v2). */
  transactionVersion: number;
  /** The leader epoch of the coordinator's __transaction_state partition. */
  coordinatorEpoch: number;
  /** The __transaction_state partition the transaction belongs to (to drop its jobs when it moves). */
  txnPartition: number;
  partitions: TopicPartition[];
}

/** One broker's request: markers grouped by job (one WriteTxnMarkers entry each). */
export interface MarkerSend {
  broker: number;
  entries: Array<{ jobId: number; job: MarkerJob; partitions: TopicPartition[] }>;
}

export interface MarkerResult {
  jobId: number;
  topic: string;
  partition: number;
  errorCode: number;
}

/** Where a partition's marker goes: a broker id, -1 while it has no leader, undefined when it no longer exists. */
export type LeaderLookup = (tp: TopicPartition) => number | undefined;

/** Errors after which the marker is sent again (to the partition's leader at that time). */
const RETRIABLE: ReadonlySet<number> = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NETWORK_EXCEPTION,
]);

/** The producer's or the coordinator's epoch moved on: this job is someone else's now (Kafka stops sending it). */
const FENCED: ReadonlySet<number> = new Set<number>([
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.TRANSACTION_COORDINATOR_FENCED,
]);

interface Item {
  jobId: number;
  tp: TopicPartition;
  /** Not sent before this time (after a retriable failure). */
  notBefore: number;
  /** The broker it is in flight to, or -1. */
  inFlight: number;
}

interface Job {
  job: MarkerJob;
  remaining: number;
}

export interface MarkerEvents {
  /** Jobs whose markers are all written: the coordinator may complete these transactions now. */
  completed: number[];
  /** Jobs given up (fenced, or cancelled): their transactions stay prepared for whoever coordinates them now. */
  abandoned: number[];
  /** Markers that got an answer that is neither success nor retriable (logged by the driver). */
  failed: MarkerResult[];
}

export class MarkerQueue {
  readonly #backoffMs: number;
  readonly #jobs = new Map<number, Job>();
  readonly #items: Item[] = [];
  readonly #busy = new Set<number>();
  #nextId = 1;

  constructor(backoffMs: number) {
    this.#backoffMs = backoffMs;
  }

  /** Adds a transaction's markers; returns the job's id. A job without partitions is complete at once (see `add`'s
   * caller: it must not wait). */
  add(job: MarkerJob): number {
    const id = this.#nextId++;
    const seen = new Set<string>();
    let n = 0;
    for (const tp of job.partitions) {
      const key = `${tp.topic}\u0000${tp.partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.#items.push({ jobId: id, tp, notBefore: 0, inFlight: -1 });
      n++;
    }
    this.#jobs.set(id, { job, remaining: n });
    return id;
  }

  /** Jobs waiting, for tests and logs. */
  get pendingJobs(): number {
    return this.#jobs.size;
  }

  has(jobId: number): boolean {
    return this.#jobs.has(jobId);
  }

  /**
   * The requests to send now: every marker that is not in flight, not backing off and whose partition has a leader,
   * grouped by that leader, for brokers with no request in flight. Markers of partitions that no longer exist are
   * done (returned in `events.completed` when that finishes a job).
   */
  poll(now: number, leaderOf: LeaderLookup): { sends: MarkerSend[]; events: MarkerEvents } {
    const events: MarkerEvents = { completed: [], abandoned: [], failed: [] };
    const byBroker = new Map<number, Map<number, TopicPartition[]>>();
    for (let i = 0; i < this.#items.length; i++) {
      const it = this.#items[i]!;
      if (it.inFlight >= 0 || it.notBefore > now) continue;
      const leader = leaderOf(it.tp);
      if (leader === undefined) {
        // Deleted: nothing to mark (Kafka drops markers of partitions gone from the metadata).
        this.#finishItem(i--, events);
        continue;
      }
      if (leader < 0 || this.#busy.has(leader)) continue;
      let jobs = byBroker.get(leader);
      if (jobs === undefined) {
        jobs = new Map();
        byBroker.set(leader, jobs);
      }
      let list = jobs.get(it.jobId);
      if (list === undefined) {
        list = [];
        jobs.set(it.jobId, list);
      }
      list.push(it.tp);
      it.inFlight = leader;
    }
    const sends: MarkerSend[] = [];
    for (const [broker, jobs] of byBroker) {
      this.#busy.add(broker);
      sends.push({
        broker,
        entries: [...jobs].map(([jobId, partitions]) => ({ jobId, job: this.#jobs.get(jobId)!.job, partitions })),
      });
    }
    return { sends, events };
  }

  /** The earliest time a backing-off marker may go again (for the driver's timer), or undefined. */
  nextRetryAt(): number | undefined {
    let t: number | undefined;
    for (const it of this.#items)
      if (it.inFlight < 0 && it.notBefore > 0 && (t === undefined || it.notBefore < t)) t = it.notBefore;
    return t;
  }

  /** A broker answered the request `send`: one result per marker sent (a missing one counts as retriable). */
  onResponse(send: MarkerSend, results: readonly MarkerResult[], now: number): MarkerEvents {
    const events: MarkerEvents = { completed: [], abandoned: [], failed: [] };
    this.#busy.delete(send.broker);
    const codes = new Map<string, number>();
    for (const r of results) codes.set(`${r.jobId}\u0000${r.topic}\u0000${r.partition}`, r.errorCode);
    for (let i = 0; i < this.#items.length; i++) {
      const it = this.#items[i]!;
      if (it.inFlight !== send.broker) continue;
      const code = codes.get(`${it.jobId}\u0000${it.tp.topic}\u0000${it.tp.partition}`) ?? ErrorCode.NETWORK_EXCEPTION;
      it.inFlight = -1;
      if (code === ErrorCode.NONE) this.#finishItem(i--, events);
      else if (RETRIABLE.has(code)) it.notBefore = now + this.#backoffMs;
      else if (FENCED.has(code)) {
        const jobId = it.jobId;
        i -= this.#dropJob(jobId, i);
        events.abandoned.push(jobId);
      } else {
        // UNSUPPORTED_FOR_MESSAGE_FORMAT, MESSAGE_TOO_LARGE, ...: the partition cannot take a marker and never will;
        // the producer's writes to it failed the same way, so the transaction completes without it (as Kafka).
        events.failed.push({ jobId: it.jobId, topic: it.tp.topic, partition: it.tp.partition, errorCode: code });
        this.#finishItem(i--, events);
      }
    }
    return events;
  }

  /** The request to `send.broker` failed as a whole (connection lost, no endpoint): everything in it is retried. */
  onSendFailed(send: MarkerSend, now: number): void {
    this.#busy.delete(send.broker);
    for (const it of this.#items) {
      if (it.inFlight !== send.broker) continue;
      it.inFlight = -1;
      it.notBefore = now + this.#backoffMs;
    }
  }

  /** Drops the jobs of __transaction_state partitions this coordinator no longer leads (their new leader's
   * coordinator finishes them from the prepared state it loads). Answers still in flight are then ignored. */
  cancel(pred: (job: MarkerJob) => boolean): number[] {
    const dropped: number[] = [];
    for (const [id, j] of this.#jobs) {
      if (!pred(j.job)) continue;
      this.#dropJob(id, -1);
      dropped.push(id);
    }
    return dropped;
  }

  /** Removes item `i` as written; completes its job when it was the last. */
  #finishItem(i: number, events: MarkerEvents): void {
    const it = this.#items[i]!;
    this.#items.splice(i, 1);
    const j = this.#jobs.get(it.jobId);
    assert(j !== undefined && j.remaining > 0, `marker of unknown or finished job ${it.jobId}`);
    j.remaining--;
    if (j.remaining === 0) {
      this.#jobs.delete(it.jobId);
      events.completed.push(it.jobId);
    }
  }

  /** Removes a job and its items; returns how many items at or before index `upTo` were removed. */
  #dropJob(jobId: number, upTo: number): number {
    this.#jobs.delete(jobId);
    let before = 0;
    for (let k = this.#items.length - 1; k >= 0; k--) {
      if (this.#items[k]!.jobId !== jobId) continue;
      this.#items.splice(k, 1);
      if (k <= upTo) before++;
    }
    return before;
  }
}
