// What a leader and the replica fetchers decide per fetch on top of replication (cluster mode), kept beside
// broker/replication.ts: replication throttles (Kafka's leader and follower ReplicationQuotaManagers over
// replication/quota.ts) and the preferred read replica of fetch from follower (KIP-392, replication/replica-selector.ts).
import type { FetcherSettings } from '../replication/fetcher.ts';
import type { PartitionLeader } from '../replication/leader.ts';
import { ReplicationQuota, ThrottledReplicas } from '../replication/quota.ts';
import { type ReplicaView, selectReadReplica } from '../replication/replica-selector.ts';
import type { Partition } from './partition.ts';

export interface ThrottleOptions {
  /** leader/follower.replication.throttled.rate, read at each check (dynamic broker configs). */
  leaderRate: () => number;
  followerRate: () => number;
  /** replication.quota.window.num and replication.quota.window.size.seconds (in ms). */
  windows: number;
  windowMs: number;
}

/** Replication throttles of one broker: which partitions are throttled here, and the two quotas. */
export class ReplicationThrottles {
  /** Bytes sent to throttled followers (leader side) and fetched for throttled replicas (follower side). */
  readonly leaderQuota: ReplicationQuota;
  readonly followerQuota: ReplicationQuota;
  readonly #lists: ThrottledReplicas;

  constructor(nodeId: number, o: ThrottleOptions | undefined, clock: () => number) {
    const unlimited = () => Number.POSITIVE_INFINITY;
    this.leaderQuota = new ReplicationQuota({
      rate: o?.leaderRate ?? unlimited,
      clock,
      windows: o?.windows,
      windowMs: o?.windowMs,
    });
    this.followerQuota = new ReplicationQuota({
      rate: o?.followerRate ?? unlimited,
      clock,
      windows: o?.windows,
      windowMs: o?.windowMs,
    });
    this.#lists = new ThrottledReplicas(nodeId);
  }

  #leaderThrottled(p: Partition): boolean {
    return this.#lists.isThrottled(p.config.leaderReplicationThrottledReplicas, p.index);
  }

  #followerThrottled(p: Partition): boolean {
    return this.#lists.isThrottled(p.config.followerReplicationThrottledReplicas, p.index);
  }

  /** Leader side (Kafka's shouldLeaderThrottle): a fetch of a throttled partition by a follower outside the ISR gets
   * no records while the leader quota is exceeded. */
  leaderThrottles(p: Partition, followerInIsr: boolean): boolean {
    return !followerInIsr && this.#leaderThrottled(p) && this.leaderQuota.isExceeded();
  }

  /** Bytes sent to a follower for `p`, counted when `p` is leader-throttled here. */
  recordLeaderBytes(p: Partition, bytes: number): void {
    if (bytes > 0 && this.#leaderThrottled(p)) this.leaderQuota.record(bytes);
  }

  /** The replica fetchers' side (Kafka's shouldFollowerThrottle): a throttled replica not caught up is left out of
   * fetches while the follower quota is exceeded; the bytes fetched for throttled replicas are counted. */
  readonly follower: NonNullable<FetcherSettings['throttle']> = {
    skip: (p, inSync) => !inSync && this.#followerThrottled(p as Partition) && this.followerQuota.isExceeded(),
    record: (p, bytes) => {
      if (this.#followerThrottled(p as Partition)) this.followerQuota.record(bytes);
    },
  };
}

export interface ReadReplicaOptions {
  nodeId: number;
  /** replica.selector.class: 'rack-aware' (RackAwareReplicaSelector) or null (consumers read from leaders). */
  selector: 'rack-aware' | null;
  /** A broker's rack (null: none), or undefined when it cannot serve reads (unknown, fenced, no endpoint). */
  brokerRack: (brokerId: number) => string | null | undefined;
  clock: () => number;
}

/** KIP-392 at a leader: the replica a consumer should read from (Kafka's findPreferredReadReplica). */
export class ReadReplicas {
  readonly #o: ReadReplicaOptions;
  /** Followers' log start offsets as their fetches report them. */
  readonly #logStarts = new WeakMap<Partition, Map<number, number>>();

  constructor(o: ReadReplicaOptions) {
    this.#o = o;
  }

  /** Records the log start offset a follower's fetch reported. */
  noteFollowerLogStart(p: Partition, replicaId: number, logStartOffset: number): void {
    let m = this.#logStarts.get(p);
    if (m === undefined) {
      m = new Map();
      this.#logStarts.set(p, m);
    }
    m.set(replicaId, logStartOffset);
  }

  /** The replica (not this leader) a consumer in `clientRack` fetching at `fetchOffset` should read from; -1 to read
   * here. Candidates: followers in the committed ISR, on usable brokers, whose log holds the offset. */
  preferred(p: Partition, leader: PartitionLeader, fetchOffset: number, clientRack: string): number {
    const o = this.#o;
    if (o.selector !== 'rack-aware') return -1;
    const now = o.clock();
    const starts = this.#logStarts.get(p);
    const candidates: ReplicaView[] = [];
    for (const id of leader.committedIsr) {
      if (id === o.nodeId) continue;
      const f = leader.follower(id);
      const rack = o.brokerRack(id);
      if (f === undefined || rack === undefined) continue;
      if (f.logEndOffset < fetchOffset || (starts?.get(id) ?? -1) > fetchOffset) continue;
      candidates.push({ id, rack, logEndOffset: f.logEndOffset, timeSinceCaughtUpMs: now - f.lastCaughtUpTimeMs });
    }
    const self: ReplicaView = {
      id: o.nodeId,
      rack: o.brokerRack(o.nodeId) ?? null,
      logEndOffset: p.log.logEndOffset,
      timeSinceCaughtUpMs: 0,
    };
    const chosen = selectReadReplica(clientRack, self, candidates);
    return chosen === o.nodeId ? -1 : chosen;
  }
}
