// The follower side of one partition (Kafka's AbstractFetcherThread for one partition): fetch from the leader at the
// log end with the epoch of the last fetched batch; on a divergingEpoch answer truncate to where the logs agree and
// fetch again (KIP-279 rounds until consistent, KIP-595-style divergence in Fetch v12+); append the leader's batches
// as they are; learn the HW (never above the own LEO). A follower of a new leader epoch truncates only through this
// epoch protocol, never to its high watermark (KIP-101). Pure: the log is injected, the caller sends the fetches.
import { ErrorCode } from '../protocol/errors.ts';
import { assert } from '../util/assert.ts';
import type { EpochEndOffset, ReplicaFetch, ReplicaLog, ReplicationConfig } from './types.ts';
import { UNDEFINED_EPOCH } from './types.ts';

/** A leader's answer to a follower fetch as it arrives over the network. */
export interface FetchAnswer<B> {
  error: number;
  divergingEpoch?: EpochEndOffset;
  highWatermark: number;
  /** The batches from the fetch offset; absent or empty when there are none. */
  batches?: B;
  /** How many records `batches` holds (0 when empty). */
  records: number;
}

/** What the follower does next. `fetch`: send `nextFetch()` now; `backoff`: after replica.fetch.backoff.ms;
 * `waitForMetadata`: our leader epoch is stale (FENCED_LEADER_EPOCH), stop fetching until new metadata. */
export type FollowerAction = 'fetch' | 'backoff' | 'waitForMetadata';

export class PartitionFollower<B> {
  readonly localId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly #log: ReplicaLog<B>;
  readonly #config: ReplicationConfig;
  #hw: number;
  #truncations = 0;

  /** Becomes follower of `leaderId` at `leaderEpoch`. The log is not truncated here: the first fetch carries the
   * last fetched epoch and the leader's divergingEpoch answer says where to cut. */
  constructor(
    localId: number,
    leaderId: number,
    leaderEpoch: number,
    log: ReplicaLog<B>,
    config: ReplicationConfig,
    highWatermark: number,
  ) {
    assert(leaderId !== localId, 'a follower of itself');
    this.localId = localId;
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.#log = log;
    this.#config = config;
    this.#hw = Math.min(highWatermark, log.logEndOffset());
    if (config.unsafe?.truncateToHighWatermark) log.truncateTo(this.#hw);
  }

  get highWatermark(): number {
    return this.#hw;
  }

  /** How many divergence truncations this follower made (for tests and metrics). */
  get truncations(): number {
    return this.#truncations;
  }

  /** The fetch to send now: from the log end, with the epoch of the last batch (Fetch v12+). */
  nextFetch(): ReplicaFetch {
    const withEpoch = !this.#config.unsafe?.truncateToHighWatermark;
    return {
      replicaId: this.localId,
      currentLeaderEpoch: this.leaderEpoch,
      fetchOffset: this.#log.logEndOffset(),
      lastFetchedEpoch: withEpoch ? this.#log.latestEpoch() : UNDEFINED_EPOCH,
    };
  }

  /** Handles the answer to `req` (a fetch this follower sent). An answer to a fetch from another log end (the log
   * was truncated or appended to since) is dropped. */
  onFetchAnswer(req: ReplicaFetch, answer: FetchAnswer<B>): FollowerAction {
    if (req.fetchOffset !== this.#log.logEndOffset() || req.currentLeaderEpoch !== this.leaderEpoch) return 'fetch';
    if (answer.error === ErrorCode.FENCED_LEADER_EPOCH) return 'waitForMetadata';
    if (answer.error === ErrorCode.OFFSET_OUT_OF_RANGE && this.#config.unsafe?.truncateToHighWatermark) {
      // Pre-KIP-101 handling: cut back to a high watermark and try again.
      this.#log.truncateTo(Math.min(this.#hw, answer.highWatermark));
      this.#hw = Math.min(this.#hw, this.#log.logEndOffset());
      return 'fetch';
    }
    if (answer.error !== ErrorCode.NONE) return 'backoff';
    if (answer.divergingEpoch !== undefined) {
      this.#truncateOnDivergence(answer.divergingEpoch);
      return 'fetch';
    }
    if (answer.records > 0 && answer.batches !== undefined) this.#log.appendAsFollower(answer.batches);
    this.#hw = Math.min(answer.highWatermark, this.#log.logEndOffset());
    return answer.records > 0 ? 'fetch' : 'backoff';
  }

  /**
   * The leader's log ends epoch `diverging.epoch` at `diverging.endOffset`. Where our own log has that epoch, the
   * logs agree up to the smaller end; where it has not, ours agrees at most up to the end of our largest epoch below
   * it, and the next fetch (with that epoch as the last fetched one) checks again.
   */
  #truncateOnDivergence(diverging: EpochEndOffset): void {
    const leo = this.#log.logEndOffset();
    let target = Math.max(0, diverging.endOffset);
    if (diverging.epoch !== UNDEFINED_EPOCH && diverging.endOffset >= 0) {
      const own = this.#log.endOffsetForEpoch(diverging.epoch);
      if (own.endOffset >= 0) target = Math.min(target, own.endOffset);
    }
    target = Math.min(target, leo);
    assert(target >= 0, 'divergence truncation below offset 0');
    this.#log.truncateTo(target);
    this.#hw = Math.min(this.#hw, this.#log.logEndOffset());
    this.#truncations++;
  }
}
