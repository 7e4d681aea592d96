// The leader side of one partition (Kafka's Partition as leader plus ReplicaManager's delayed produce): follower
// fetch states, ISR shrink and expansion proposed to the controller through AlterPartition, the high watermark,
// acks=all waiters, and the checks of a follower's fetch (leader epoch, divergence). Pure: the log and the clock are
// injected, requests to the controller and answers to producers come back as effects.
//
// ISR (KIP-497): `committedIsr` is what the controller committed; while an AlterPartition is in flight the HW is
// computed over the "maximal" ISR (committed ∪ proposed), so an expansion counts for the HW at once but for
// min.insync.replicas only after the commit, and a shrink lets the HW move only once the controller has committed it.
import { ErrorCode } from '../protocol/errors.ts';
import { assert } from '../util/assert.ts';
import {
  type AlterPartitionAnswer,
  type AlterPartitionRequest,
  type Clock,
  type LeaderEffects,
  type PartitionState,
  type ReplicaFetch,
  type ReplicaFetchResult,
  type ReplicaLog,
  type ReplicationConfig,
  UNDEFINED_EPOCH,
} from './types.ts';

/** What the leader knows of one follower (Kafka's Replica state). */
export interface FollowerState {
  /** The follower's log end offset: its last valid fetch offset; -1 until it fetches from this leader. */
  logEndOffset: number;
  /** Kafka's lastCaughtUpTimeMs: the last time the follower had fetched up to the leader's LEO as of its previous
   * fetch (or the current one). */
  lastCaughtUpTimeMs: number;
  lastFetchLeaderLogEndOffset: number;
  lastFetchTimeMs: number;
}

export interface Waiter {
  requestId: number;
  /** The HW that completes it: the last offset of the append + 1. */
  requiredOffset: number;
  deadlineMs: number;
}

interface InFlight {
  request: AlterPartitionRequest;
  sentAtMs: number;
  /** After FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION or UNKNOWN_TOPIC_OR_PARTITION: no retry, no new change, until
   * new metadata arrives. */
  waitingForMetadata: boolean;
}

export class PartitionLeader {
  readonly localId: number;
  readonly leaderEpoch: number;
  readonly #log: ReplicaLog<unknown>;
  readonly #clock: Clock;
  readonly #config: ReplicationConfig;
  #partitionEpoch: number;
  #replicas: readonly number[];
  #committedIsr: number[];
  #inFlight: InFlight | null = null;
  #hw: number;
  /** Where this leader's epoch starts in the log: a follower is in sync only once it has reached it. */
  readonly #epochStartOffset: number;
  readonly #followers = new Map<number, FollowerState>();
  #waiters: Waiter[] = [];
  #out: LeaderEffects = { alterPartition: null, completed: [] };

  /** Becomes leader of `state.leaderEpoch`: records the epoch's start at the log end, resets follower states
   * (ISR members count as caught up now, others never). `highWatermark` is the replica's HW so far. */
  constructor(
    localId: number,
    log: ReplicaLog<unknown>,
    clock: Clock,
    config: ReplicationConfig,
    state: PartitionState,
    highWatermark: number,
  ) {
    assert(state.leader === localId, `broker ${localId} made leader of a partition led by ${state.leader}`);
    assert(state.isr.includes(localId), `leader ${localId} is not in the ISR [${state.isr}]`);
    this.localId = localId;
    this.leaderEpoch = state.leaderEpoch;
    this.#log = log;
    this.#clock = clock;
    this.#config = config;
    this.#partitionEpoch = state.partitionEpoch;
    this.#replicas = state.replicas;
    this.#committedIsr = [...state.isr];
    const leo = log.logEndOffset();
    assert(
      log.latestEpoch() <= state.leaderEpoch,
      `log holds epoch ${log.latestEpoch()} above the leader epoch ${state.leaderEpoch}`,
    );
    if (log.latestEpoch() < state.leaderEpoch) log.assignEpochStartOffset(state.leaderEpoch, leo);
    this.#epochStartOffset = leo;
    this.#hw = Math.min(highWatermark, leo);
    const now = clock.now();
    for (const id of state.replicas) {
      if (id === localId) continue;
      this.#followers.set(id, {
        logEndOffset: -1,
        lastCaughtUpTimeMs: state.isr.includes(id) ? now : Number.NEGATIVE_INFINITY,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchTimeMs: 0,
      });
    }
    this.#maybeIncrementHw();
  }

  get highWatermark(): number {
    return this.#hw;
  }

  get partitionEpoch(): number {
    return this.#partitionEpoch;
  }

  /** The ISR the controller has committed (what min.insync.replicas counts). */
  get committedIsr(): readonly number[] {
    return this.#committedIsr;
  }

  /** Committed ISR plus an expansion in flight: what the HW waits for. */
  maximalIsr(): number[] {
    return this.#replicas.filter((id) => this.#inMaximalIsr(id));
  }

  #inMaximalIsr(id: number): boolean {
    const proposed = this.#inFlight?.request.newIsr;
    if (this.#config.unsafe?.hwOnProposedIsr && proposed !== undefined) return proposed.includes(id);
    return this.#committedIsr.includes(id) || (proposed?.includes(id) ?? false);
  }

  get alterPartitionInFlight(): AlterPartitionRequest | null {
    return this.#inFlight?.request ?? null;
  }

  follower(id: number): FollowerState | undefined {
    return this.#followers.get(id);
  }

  /** A client request's current_leader_epoch against ours: -1 skips the check. */
  checkLeaderEpoch(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.leaderEpoch) return ErrorCode.NONE;
    return currentLeaderEpoch < this.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
  }

  /** Before appending a produce: acks=all needs min.insync.replicas in the committed ISR. */
  checkProduce(acks: number): number {
    if (acks === -1 && this.#committedIsr.length < this.#effectiveMinIsr()) {
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    }
    return ErrorCode.NONE;
  }

  /**
   * After the caller appended a produce's records (last offset `lastOffset`) with acks=all: registers a waiter that
   * completes when the HW passes it, or fails at `deadlineMs`. A single-replica ISR may advance the HW at once.
   */
  afterAppend(requestId: number, lastOffset: number, deadlineMs: number): LeaderEffects {
    assert(lastOffset < this.#log.logEndOffset(), `appended offset ${lastOffset} is not in the log`);
    this.#waiters.push({ requestId, requiredOffset: lastOffset + 1, deadlineMs });
    this.#maybeIncrementHw();
    this.#completeWaiters();
    return this.#drain();
  }

  /** Appended records without waiting (acks=0/1): the HW may still move if the ISR is the leader alone. */
  afterAppendNoWait(): LeaderEffects {
    this.#maybeIncrementHw();
    this.#completeWaiters();
    return this.#drain();
  }

  /**
   * A follower's fetch: checks the leader epoch and the replica, detects divergence from lastFetchedEpoch (the
   * follower then truncates and fetches again), otherwise records the follower's LEO, may expand the ISR and
   * advance the HW. The caller reads records from `readFrom`.
   */
  fetchFromFollower(req: ReplicaFetch): { result: ReplicaFetchResult; effects: LeaderEffects } {
    const result = this.#fetch(req);
    return { result, effects: this.#drain() };
  }

  #fetch(req: ReplicaFetch): ReplicaFetchResult {
    const epochError = this.checkLeaderEpoch(req.currentLeaderEpoch);
    const none = (error: number): ReplicaFetchResult => ({ error, highWatermark: this.#hw, readFrom: -1 });
    if (epochError !== ErrorCode.NONE) return none(epochError);
    const follower = this.#followers.get(req.replicaId);
    if (follower === undefined) return none(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const leo = this.#log.logEndOffset();
    if (req.lastFetchedEpoch !== UNDEFINED_EPOCH) {
      const end = this.#log.endOffsetForEpoch(req.lastFetchedEpoch);
      if (end.epoch < req.lastFetchedEpoch || end.endOffset < req.fetchOffset) {
        return { error: ErrorCode.NONE, divergingEpoch: end, highWatermark: this.#hw, readFrom: -1 };
      }
    }
    if (req.fetchOffset > leo || req.fetchOffset < 0) return none(ErrorCode.OFFSET_OUT_OF_RANGE);
    this.#updateFollower(follower, req.fetchOffset, leo);
    this.#maybeExpandIsr(req.replicaId, follower);
    this.#maybeIncrementHw();
    this.#completeWaiters();
    return { error: ErrorCode.NONE, highWatermark: this.#hw, readFrom: req.fetchOffset };
  }

  #updateFollower(f: FollowerState, fetchOffset: number, leaderEnd: number): void {
    const now = this.#clock.now();
    if (fetchOffset >= leaderEnd) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) {
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    }
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderEnd;
    f.lastFetchTimeMs = now;
  }

  /** A follower outside the ISR joins once it has reached the HW and this leader's epoch (Kafka isFollowerInSync). */
  #maybeExpandIsr(id: number, f: FollowerState): void {
    if (this.#inFlight !== null || this.#committedIsr.includes(id)) return;
    if (f.logEndOffset < this.#hw || f.logEndOffset < this.#epochStartOffset) return;
    this.#propose([...this.#committedIsr, id].sort((a, b) => a - b));
  }

  /** Periodic work: ISR shrink of followers lagging more than replica.lag.time.max.ms, produce timeouts, resending
   * an unanswered AlterPartition. */
  tick(): LeaderEffects {
    const now = this.#clock.now();
    const inFlight = this.#inFlight;
    if (inFlight !== null) {
      if (!inFlight.waitingForMetadata && now - inFlight.sentAtMs >= this.#config.alterPartitionRetryMs) {
        inFlight.sentAtMs = now;
        this.#out.alterPartition = inFlight.request;
      }
    } else {
      // Kafka's isCaughtUp: at the leader's LEO, or caught up within replica.lag.time.max.ms.
      const leo = this.#log.logEndOffset();
      const lagging = this.#committedIsr.filter((id) => {
        if (id === this.localId) return false;
        const f = this.#followers.get(id);
        if (f === undefined) return true;
        return f.logEndOffset !== leo && now - f.lastCaughtUpTimeMs > this.#config.replicaLagTimeMaxMs;
      });
      if (lagging.length > 0) this.#propose(this.#committedIsr.filter((id) => !lagging.includes(id)));
    }
    this.#maybeIncrementHw();
    this.#completeWaiters();
    const live: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.deadlineMs <= now) this.#out.completed.push({ requestId: w.requestId, error: ErrorCode.REQUEST_TIMED_OUT });
      else live.push(w);
    }
    this.#waiters = live;
    return this.#drain();
  }

  #propose(newIsr: number[]): void {
    assert(newIsr.includes(this.localId), 'a leader never proposes an ISR without itself');
    const request: AlterPartitionRequest = {
      brokerId: this.localId,
      leaderEpoch: this.leaderEpoch,
      partitionEpoch: this.#partitionEpoch,
      newIsr,
    };
    this.#inFlight = { request, sentAtMs: this.#clock.now(), waitingForMetadata: false };
    this.#out.alterPartition = request;
  }

  /** The controller's answer to the AlterPartition in flight (answers to anything else are ignored). */
  onAlterPartitionAnswer(request: AlterPartitionRequest, answer: AlterPartitionAnswer): LeaderEffects {
    const inFlight = this.#inFlight;
    if (inFlight === null || inFlight.request !== request) return this.#drain();
    if (answer.error === ErrorCode.NONE) {
      const state = answer.state;
      if (
        state !== undefined &&
        state.leaderEpoch === this.leaderEpoch &&
        state.partitionEpoch >= this.#partitionEpoch
      ) {
        this.#commit(state);
      } else {
        inFlight.waitingForMetadata = true;
      }
    } else if (answer.error === ErrorCode.OPERATION_NOT_ATTEMPTED || answer.error === ErrorCode.INELIGIBLE_REPLICA) {
      // Not applied: back to the committed state; the next tick may propose again.
      this.#inFlight = null;
    } else {
      // FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, UNKNOWN_TOPIC_OR_PARTITION, ...: our view is stale, or the
      // request may have been applied by an earlier attempt; wait for the metadata that says which.
      inFlight.waitingForMetadata = true;
    }
    this.#maybeIncrementHw();
    this.#completeWaiters();
    return this.#drain();
  }

  /** Metadata for our leader epoch with a newer partition epoch (a commit, or an ISR change by the controller). */
  onPartitionState(state: PartitionState): LeaderEffects {
    assert(state.leaderEpoch === this.leaderEpoch && state.leader === this.localId, 'partition state of another epoch');
    if (state.partitionEpoch > this.#partitionEpoch) this.#commit(state);
    this.#maybeIncrementHw();
    this.#completeWaiters();
    return this.#drain();
  }

  #commit(state: PartitionState): void {
    // A follower the committed ISR drops (the controller fencing its broker, or our own shrink) stops counting as
    // "caught up, about to join" until it fetches to the log end again: a dead broker caught up at its death must
    // not hold the HW for replica.lag.time.max.ms (Kafka excludes replicas that are not ISR-eligible, KIP-903).
    for (const id of this.#committedIsr) {
      const f = this.#followers.get(id);
      if (f !== undefined && !state.isr.includes(id)) f.lastCaughtUpTimeMs = Number.NEGATIVE_INFINITY;
    }
    this.#partitionEpoch = state.partitionEpoch;
    this.#replicas = state.replicas;
    this.#committedIsr = [...state.isr];
    this.#inFlight = null;
    for (const id of this.#replicas) {
      if (id !== this.localId && !this.#followers.has(id)) {
        this.#followers.set(id, {
          logEndOffset: -1,
          lastCaughtUpTimeMs: Number.NEGATIVE_INFINITY,
          lastFetchLeaderLogEndOffset: -1,
          lastFetchTimeMs: 0,
        });
      }
    }
  }

  /**
   * This broker stays leader under a newer leader epoch: the waiting produces move to the new epoch's leader, still
   * waiting (Kafka's DelayedProduce waits while the leader is local, whatever its epoch). Their records are in this
   * log, which the new epoch keeps; failing them with NOT_LEADER_OR_FOLLOWER would tell the client they were not
   * written (librdkafka then renumbers them under a bumped producer epoch, and they are written twice).
   */
  handOverWaiters(): Waiter[] {
    const ws = this.#waiters;
    this.#waiters = [];
    return ws;
  }

  /** Takes the waiting produces of this broker's previous leader epoch (handOverWaiters). */
  adoptWaiters(ws: readonly Waiter[]): LeaderEffects {
    for (const w of ws) {
      assert(w.requiredOffset <= this.#log.logEndOffset(), `a waiter past the log end ${this.#log.logEndOffset()}`);
      this.#waiters.push(w);
    }
    this.#completeWaiters();
    return this.#drain();
  }

  /** Leadership lost (new metadata, or shutdown): every waiting produce fails with NOT_LEADER_OR_FOLLOWER. */
  resign(): LeaderEffects {
    for (const w of this.#waiters) {
      this.#out.completed.push({ requestId: w.requestId, error: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    }
    this.#waiters = [];
    return this.#drain();
  }

  /** min.insync.replicas capped by the replication factor (Kafka's effectiveMinIsr). */
  #effectiveMinIsr(): number {
    return Math.min(this.#config.minInsyncReplicas, this.#replicas.length);
  }

  /**
   * HW = the smallest LEO over the maximal ISR (leader included) and over followers outside it that are caught up
   * (so a follower about to join is not left behind); it never moves back, and (KIP-966's strict min ISR, as Kafka
   * 4 does) it does not move while the committed ISR is smaller than min.insync.replicas: so a replica that leaves
   * an ISR below min.insync.replicas holds everything committed, which makes it an eligible leader replica.
   */
  #maybeIncrementHw(): void {
    if (this.#committedIsr.length < this.#effectiveMinIsr() && !this.#config.unsafe?.hwBelowMinIsr) return;
    const leo = this.#log.logEndOffset();
    const now = this.#clock.now();
    let min = leo;
    for (const [id, f] of this.#followers) {
      const inIsr = this.#inMaximalIsr(id);
      const caughtUp = f.logEndOffset === leo || now - f.lastCaughtUpTimeMs <= this.#config.replicaLagTimeMaxMs;
      if (inIsr || (caughtUp && f.logEndOffset >= 0)) min = Math.min(min, f.logEndOffset);
    }
    if (min > this.#hw) this.#hw = min;
  }

  #completeWaiters(): void {
    if (this.#waiters.length === 0) return;
    // Kafka's checkEnoughReplicasReachOffset: the maximal ISR must still hold min.insync.replicas members. Since the
    // HW does not move while the committed ISR is too small, and waiters are checked as soon as it moves, this is
    // NONE here in practice: a produce caught by an ISR shrink below min.insync.replicas times out, as in Kafka 4.
    let maximal = 0;
    for (const id of this.#replicas) if (this.#inMaximalIsr(id)) maximal++;
    const enough = maximal >= this.#effectiveMinIsr();
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#hw >= w.requiredOffset) {
        const error = enough ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
        this.#out.completed.push({ requestId: w.requestId, error });
      } else still.push(w);
    }
    this.#waiters = still;
  }

  #drain(): LeaderEffects {
    const out = this.#out;
    this.#out = { alterPartition: null, completed: [] };
    return out;
  }
}
