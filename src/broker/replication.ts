// Replication in a cluster (cluster mode only): each hosted Partition gets a PartitionReplica (the pure core in
// src/replication/) over its log. Metadata from the controller sets the role; a leader's effects are carried out
// here (AlterPartition to the controller, acks=all produces answered), a follower is handed to the replica fetchers,
// and the core's high watermark is copied into the log (what consumers may read) after every change. The HW is
// checkpointed per log dir (`replication-offset-checkpoint`) and recovered from it.
import { dirname, join } from 'node:path';
import type { PartitionInfo } from '../metadata/image.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { type FetcherSettings, type FetcherStats, ReplicaFetcherManager } from '../replication/fetcher.ts';
import { PartitionReplicaLog } from '../replication/partition-replica-log.ts';
import { PartitionReplica } from '../replication/replica.ts';
import type {
  AlterPartitionAnswer,
  AlterPartitionRequest,
  Clock,
  LeaderEffects,
  ReplicaFetch,
  ReplicaFetchResult,
  ReplicationConfig,
} from '../replication/types.ts';
import { readCheckpoint, writeCheckpoint } from '../storage/checkpoint.ts';
import type { Logger } from '../util/log.ts';
import type { Partition } from './partition.ts';
import { ReadReplicas, ReplicationThrottles, type ThrottleOptions } from './replica-policies.ts';

export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';

export interface ReplicationOptions {
  nodeId: number;
  /** replica.lag.time.max.ms */
  replicaLagTimeMaxMs: number;
  /** Sends an AlterPartition to the controller; resolves with its answer (rejects on timeout). */
  alterPartition: (topicId: string, partition: number, req: AlterPartitionRequest) => Promise<AlterPartitionAnswer>;
  fetcher: Omit<FetcherSettings, 'onProgress' | 'logger' | 'nodeId' | 'throttle'>;
  /** Replication throttles (replica-policies.ts); none when absent. */
  throttle?: ThrottleOptions;
  /** KIP-392: replica.selector.class and the brokers' racks (replica-policies.ts); leaders only when absent. */
  replicaSelector?: 'rack-aware' | null;
  brokerRack?: (brokerId: number) => string | null | undefined;
  logger: Logger;
  /** Default: the monotonic clock (performance.now): a step of the wall clock must neither delay nor hasten ISR
   * shrinks (replica.lag.time.max.ms) or acks=all timeouts. */
  clock?: Clock;
}

/** A produce waiting for acks=all. */
interface Pending {
  resolve: (error: number) => void;
}

export class Replication {
  readonly #o: ReplicationOptions;
  readonly #fetchers: ReplicaFetcherManager;
  readonly #replicas = new Map<Partition, { replica: PartitionReplica<Buffer>; config: ReplicationConfig }>();
  readonly #pending = new Map<number, Pending>();
  #nextRequestId = 1;
  /** Checkpointed HWs by log dir, read once. */
  readonly #checkpoints = new Map<string, Map<string, number>>();
  /** Wakes fetches waiting on a partition (its HW moved). */
  readonly #wake: (p: Partition) => void;
  readonly #clock: Clock;
  readonly throttles: ReplicationThrottles;
  readonly readReplicas: ReadReplicas;

  constructor(opts: ReplicationOptions, wake: (p: Partition) => void) {
    this.#o = opts;
    this.#clock = opts.clock ?? performance;
    this.#wake = wake;
    const clock = () => this.#clock.now();
    this.throttles = new ReplicationThrottles(opts.nodeId, opts.throttle, clock);
    this.readReplicas = new ReadReplicas({
      nodeId: opts.nodeId,
      selector: opts.replicaSelector ?? null,
      brokerRack: opts.brokerRack ?? (() => undefined),
      clock,
    });
    this.#fetchers = new ReplicaFetcherManager({
      ...opts.fetcher,
      nodeId: opts.nodeId,
      logger: opts.logger,
      onProgress: (p) => this.#syncHw(p as Partition),
      throttle: this.throttles.follower,
    });
  }

  /** What the replica fetchers sent (fetch sessions: full and incremental requests, partitions per request). */
  get fetcherStats(): FetcherStats {
    return this.#fetchers.stats;
  }

  /** Leader-side replication throttle: `replicaId`'s fetch of `p` gets no records now. */
  leaderThrottles(p: Partition, replicaId: number): boolean {
    return this.throttles.leaderThrottles(p, this.#leader(p)?.committedIsr.includes(replicaId) ?? false);
  }

  /** KIP-392: the replica a consumer in `clientRack` should read `p` from, -1 for this leader (or not leading). */
  preferredReadReplica(p: Partition, fetchOffset: number, clientRack: string): number {
    const leader = this.#leader(p);
    return leader === undefined ? -1 : this.readReplicas.preferred(p, leader, fetchOffset, clientRack);
  }

  #checkpointed(p: Partition): number {
    const dir = dirname(p.log.dir);
    let m = this.#checkpoints.get(dir);
    if (m === undefined) {
      m = readCheckpoint(join(dir, REPLICATION_OFFSET_CHECKPOINT), this.#o.logger);
      this.#checkpoints.set(dir, m);
    }
    return m.get(p.key) ?? 0;
  }

  /** Applies the controller's state of a hosted partition (after Partition.makeLeader/makeFollower). */
  apply(p: Partition, info: PartitionInfo): void {
    let r = this.#replicas.get(p);
    if (r === undefined) {
      const config: ReplicationConfig = {
        replicaLagTimeMaxMs: this.#o.replicaLagTimeMaxMs,
        minInsyncReplicas: p.config.minInsyncReplicas,
        alterPartitionRetryMs: 5000,
      };
      const hw = Math.min(this.#checkpointed(p), p.log.logEndOffset);
      p.log.setHighWatermark(hw);
      r = {
        replica: new PartitionReplica(this.#o.nodeId, new PartitionReplicaLog(p), this.#clock, config, hw),
        config,
      };
      this.#replicas.set(p, r);
      p.onLeaderAppend = () => {
        this.#handle(p, this.#leader(p)?.afterAppendNoWait());
        // Coordinators and markers append here too: followers long-polling the partition fetch at once.
        this.#wake(p);
      };
    }
    r.config.minInsyncReplicas = p.config.minInsyncReplicas;
    const before = r.replica.role;
    const effects = r.replica.applyPartitionState({
      leader: info.leader,
      leaderEpoch: info.leaderEpoch,
      partitionEpoch: info.partitionEpoch,
      replicas: info.replicas,
      isr: info.isr,
    });
    const role = r.replica.role;
    if (role !== before) {
      if (role.kind === 'follower') this.#fetchers.add(p, role.follower);
      else this.#fetchers.remove(p);
      this.#o.logger.info(
        { partition: p.key, role: role.kind, leader: info.leader, leaderEpoch: info.leaderEpoch, isr: info.isr },
        'replica role changed',
      );
    }
    this.#handle(p, effects);
  }

  /** The partition's log is offline (its log dir failed): it stops fetching, so it never rejoins an ISR (as Kafka's
   * handleLogDirFailure removes the offline partitions' fetchers). A leader keeps its role until the controller
   * moves it. */
  stopFetching(p: Partition): void {
    this.#fetchers.remove(p);
  }

  /** The partition is no longer hosted (topic deleted, replica moved away). */
  remove(p: Partition): void {
    this.#fetchers.remove(p);
    this.#replicas.delete(p);
  }

  #leader(p: Partition) {
    const role = this.#replicas.get(p)?.replica.role;
    return role?.kind === 'leader' ? role.leader : undefined;
  }

  /** This broker leads `p` in the core (metadata applied and not resigned). */
  leads(p: Partition): boolean {
    return this.#leader(p) !== undefined;
  }

  /** acks=all before the append: NOT_ENOUGH_REPLICAS when the committed ISR is below min.insync.replicas. */
  checkProduce(p: Partition, acks: number): number {
    const leader = this.#leader(p);
    if (leader === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return leader.checkProduce(acks);
  }

  /** acks=all after the append of offsets up to `lastOffset`: resolves with the error code when the ISR has it,
   * REQUEST_TIMED_OUT after `timeoutMs`, NOT_LEADER_OR_FOLLOWER when leadership is lost meanwhile. */
  waitForIsr(p: Partition, lastOffset: number, timeoutMs: number): Promise<number> {
    const leader = this.#leader(p);
    if (leader === undefined) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const id = this.#nextRequestId++;
    return new Promise<number>((resolve) => {
      this.#pending.set(id, { resolve });
      this.#handle(p, leader.afterAppend(id, lastOffset, this.#clock.now() + timeoutMs));
    });
  }

  /** A follower's fetch at the leader: its state is updated (ISR, HW); the answer says where to read from. */
  fetchFromFollower(p: Partition, req: ReplicaFetch): ReplicaFetchResult {
    const leader = this.#leader(p);
    if (leader === undefined) return { error: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, readFrom: -1 };
    const { result, effects } = leader.fetchFromFollower(req);
    this.#handle(p, effects);
    return result;
  }

  /** Periodic: ISR shrink of lagging followers, produce timeouts, AlterPartition retries. */
  tick(): void {
    for (const [p, r] of this.#replicas) {
      const role = r.replica.role;
      if (role.kind === 'leader') this.#handle(p, role.leader.tick());
    }
  }

  #handle(p: Partition, effects: LeaderEffects | undefined): void {
    if (effects !== undefined) {
      for (const c of effects.completed) {
        const w = this.#pending.get(c.requestId);
        if (w === undefined) continue;
        this.#pending.delete(c.requestId);
        w.resolve(c.error);
      }
      const req = effects.alterPartition;
      if (req !== null) this.#sendAlterPartition(p, req);
    }
    this.#syncHw(p);
  }

  #sendAlterPartition(p: Partition, req: AlterPartitionRequest): void {
    this.#o.logger.info(
      { partition: p.key, isr: req.newIsr, leaderEpoch: req.leaderEpoch, partitionEpoch: req.partitionEpoch },
      'proposing an ISR change (AlterPartition)',
    );
    this.#o.alterPartition(p.topicId, p.index, req).then(
      (answer) => {
        const leader = this.#leader(p);
        if (leader === undefined) return;
        if (answer.error !== ErrorCode.NONE)
          this.#o.logger.info({ partition: p.key, error: answer.error }, 'AlterPartition refused');
        this.#handle(p, leader.onAlterPartitionAnswer(req, answer));
      },
      (e) =>
        this.#o.logger.warn({ partition: p.key, err: e instanceof Error ? e.message : e }, 'AlterPartition failed'),
    );
  }

  /** Copies the core's HW into the log (consumers read below it) and wakes waiting fetches when it moved. */
  #syncHw(p: Partition): void {
    const r = this.#replicas.get(p);
    if (r === undefined || p.log.isOffline || p.log.isClosed) return;
    const hw = r.replica.highWatermark;
    if (hw !== p.log.highWatermark) {
      p.log.setHighWatermark(hw);
      this.#wake(p);
    }
  }

  /** Writes every hosted partition's HW into its log dir's replication-offset-checkpoint. */
  checkpoint(): void {
    const byDir = new Map<string, Array<{ topic: string; partition: number; offset: number }>>();
    for (const p of this.#replicas.keys()) {
      if (p.log.isOffline || p.log.isClosed) continue;
      const dir = dirname(p.log.dir);
      let list = byDir.get(dir);
      if (list === undefined) {
        list = [];
        byDir.set(dir, list);
      }
      list.push({ topic: p.topic, partition: p.index, offset: p.log.highWatermark });
    }
    for (const [dir, entries] of byDir) {
      try {
        writeCheckpoint(join(dir, REPLICATION_OFFSET_CHECKPOINT), entries);
      } catch (e) {
        this.#o.logger.error({ dir, err: e }, 'could not write the replication offset checkpoint');
      }
    }
  }

  close(): void {
    this.#fetchers.close();
    for (const w of this.#pending.values()) w.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    this.#pending.clear();
  }
}
