// The small interfaces the replication core works against. The real PartitionLog (with the leader-epoch cache), the
// network and the controller plug in behind them; the core itself does no I/O and reads time only from `Clock`.

/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET (OffsetForLeaderEpoch, Fetch divergingEpoch). */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/** An epoch and the offset where it ends (the start offset of the next epoch, or the log end for the latest). */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/**
 * One replica's log as replication needs it. `B` is whatever a fetch carries (record batches as bytes in the broker,
 * plain objects in the simulation): the core never looks inside, it only hands fetched batches to `appendAsFollower`.
 */
export interface ReplicaLog<B> {
  logEndOffset(): number;
  /** The newest epoch in the epoch cache, UNDEFINED_EPOCH when the log has none. */
  latestEpoch(): number;
  /** Kafka's LeaderEpochFileCache.endOffsetFor: for the latest epoch the log end; otherwise the largest epoch ≤ the
   * requested one (or the requested one if none is smaller) and the start offset of the first epoch above it;
   * {UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET} when the requested epoch is above every known epoch. */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /** Appends the leader's batches as they are (their offsets and epochs kept); they start at logEndOffset(). */
  appendAsFollower(batches: B): void;
  /** Removes every record at or above `offset` (and the epoch entries that start there). */
  truncateTo(offset: number): void;
  /** Records that `epoch` starts at `offset` (a new leader's entry at its log end). */
  assignEpochStartOffset(epoch: number, offset: number): void;
}

export interface Clock {
  now(): number;
}

/** A partition's leadership and ISR as the controller committed them (PartitionRecord / PartitionChangeRecord). */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  /** Bumped by the controller at every change of the partition (ISR, leader): AlterPartition's version check. */
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

/** What a leader asks the controller (AlterPartition, API 56, one partition). */
export interface AlterPartitionRequest {
  brokerId: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

/** The controller's answer: the committed state, or an error code (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION,
 * INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED, UNKNOWN_TOPIC_OR_PARTITION, ...). */
export type AlterPartitionAnswer = { error: 0; state: PartitionState } | { error: number; state?: undefined };

export interface ReplicationConfig {
  /** replica.lag.time.max.ms */
  replicaLagTimeMaxMs: number;
  /** min.insync.replicas (the topic's effective value) */
  minInsyncReplicas: number;
  /** How long a leader waits for an AlterPartition answer before sending the request again. */
  alterPartitionRetryMs: number;
  /**
   * Test-only switches that turn a protection off, so the simulation can show that its checks catch the bug the
   * protection prevents. Never set outside tests.
   */
  unsafe?: {
    /** Pre-KIP-101: a new follower truncates to its high watermark and fetches without lastFetchedEpoch. */
    truncateToHighWatermark?: boolean;
    /** Advance the HW over the proposed ISR of an AlterPartition in flight (a shrink before the controller commits). */
    hwOnProposedIsr?: boolean;
    /** Pre-KIP-966: advance the HW while the committed ISR is below min.insync.replicas (the leader alone), which
     * breaks the promise eligible leader replicas rest on (they hold everything below the HW). */
    hwBelowMinIsr?: boolean;
  };
}

/** A follower's Fetch for one partition (FetchRequest v12+ fields that replication uses). */
export interface ReplicaFetch {
  replicaId: number;
  /** current_leader_epoch; -1 skips the check. */
  currentLeaderEpoch: number;
  fetchOffset: number;
  /** last_fetched_epoch; -1 when the follower's log has no epoch (then no divergence check). */
  lastFetchedEpoch: number;
}

/** The leader's decision on a follower fetch: an error, a divergence to truncate by, or records from `fetchOffset`. */
export interface ReplicaFetchResult {
  error: number;
  /** Present when the follower's log diverges from the leader's (Fetch v12+ diverging_epoch); no records then. */
  divergingEpoch?: EpochEndOffset;
  highWatermark: number;
  /** Where the caller reads the records to return (the follower's fetch offset), -1 when none are returned. */
  readFrom: number;
}

/** A produce request waiting for acks=all, completed with an error code (NONE when the ISR has it). */
export interface ProduceCompletion {
  requestId: number;
  error: number;
}

/** What a state change asks the caller to do: send an AlterPartition, answer waiting produces. */
export interface LeaderEffects {
  alterPartition: AlterPartitionRequest | null;
  completed: ProduceCompletion[];
}
