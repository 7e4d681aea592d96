// One hosted replica of a partition and its role transitions (Kafka's Partition.makeLeader / makeFollower): metadata
// from the controller decides whether this broker leads, follows, or only keeps the log. A newer leader epoch
// replaces the role (a resigning leader fails its waiting produces, a leader that keeps leading under the new epoch
// hands them over); the same leader epoch with a newer partition epoch updates the leader's committed ISR. Stale
// metadata (older epochs) is ignored.
import { PartitionFollower } from './follower.ts';
import { PartitionLeader } from './leader.ts';
import type { Clock, LeaderEffects, PartitionState, ReplicaLog, ReplicationConfig } from './types.ts';

export type Role<B> =
  | { kind: 'none' }
  | { kind: 'leader'; leader: PartitionLeader }
  | { kind: 'follower'; follower: PartitionFollower<B> };

export class PartitionReplica<B> {
  readonly localId: number;
  readonly log: ReplicaLog<B>;
  readonly #clock: Clock;
  readonly #config: ReplicationConfig;
  #state: PartitionState | null = null;
  #role: Role<B> = { kind: 'none' };
  #hw: number;

  /** `highWatermark`: the checkpointed HW recovered with the log (clamped to the log end). */
  constructor(localId: number, log: ReplicaLog<B>, clock: Clock, config: ReplicationConfig, highWatermark: number) {
    this.localId = localId;
    this.log = log;
    this.#clock = clock;
    this.#config = config;
    this.#hw = Math.min(highWatermark, log.logEndOffset());
  }

  get role(): Role<B> {
    return this.#role;
  }

  get state(): PartitionState | null {
    return this.#state;
  }

  get highWatermark(): number {
    if (this.#role.kind === 'leader') return this.#role.leader.highWatermark;
    if (this.#role.kind === 'follower') return this.#role.follower.highWatermark;
    return Math.min(this.#hw, this.log.logEndOffset());
  }

  /** Applies the controller's state of the partition; returns what a resigning or updated leader asks for. */
  applyPartitionState(state: PartitionState): LeaderEffects {
    const cur = this.#state;
    const none: LeaderEffects = { alterPartition: null, completed: [] };
    if (cur !== null) {
      if (state.leaderEpoch < cur.leaderEpoch) return none;
      if (state.leaderEpoch === cur.leaderEpoch && state.partitionEpoch <= cur.partitionEpoch) return none;
    }
    this.#state = state;
    const role = this.#role;
    if (cur !== null && state.leaderEpoch === cur.leaderEpoch) {
      if (role.kind === 'leader') return role.leader.onPartitionState(state);
      if (role.kind === 'follower' || !state.replicas.includes(this.localId)) return none;
    }
    // Still the leader under a newer epoch: the appended records stay in this log, so their produces keep waiting.
    const carried = role.kind === 'leader' && state.leader === this.localId ? role.leader.handOverWaiters() : [];
    const effects = this.#leaveRole();
    if (state.leader === this.localId) {
      const leader = new PartitionLeader(this.localId, this.log, this.#clock, this.#config, state, this.#hw);
      this.#role = { kind: 'leader', leader };
      const adopted = leader.adoptWaiters(carried);
      const more = leader.afterAppendNoWait();
      effects.completed.push(...adopted.completed, ...more.completed);
      effects.alterPartition = more.alterPartition ?? adopted.alterPartition ?? effects.alterPartition;
    } else if (state.replicas.includes(this.localId) && state.leader >= 0) {
      const follower = new PartitionFollower(
        this.localId,
        state.leader,
        state.leaderEpoch,
        this.log,
        this.#config,
        this.#hw,
      );
      this.#role = { kind: 'follower', follower };
    }
    return effects;
  }

  /** Stops the current role (also on shutdown). */
  #leaveRole(): LeaderEffects {
    const role = this.#role;
    this.#hw = this.highWatermark;
    this.#role = { kind: 'none' };
    if (role.kind === 'leader') return role.leader.resign();
    return { alterPartition: null, completed: [] };
  }
}
