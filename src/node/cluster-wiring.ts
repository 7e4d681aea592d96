// A cluster broker's wiring that is not the broker's own state: the replication options (AlterPartition through the
// admin queue, fetcher settings, throttles, rack lookups) and the offline-replica report of a failed log dir, both
// built from the broker's config and its cluster parts. broker.ts composes them.
import type { ReplicationOptions } from '../broker/replication.ts';
import type { ClientSecurity } from '../client/security.ts';
import type { BrokerConfig } from '../config/broker-config.ts';
import type { ClusterController } from '../controller/controller.ts';
import type { BrokerRegistration } from '../controller/registration.ts';
import type { SessionKeeper } from '../controller/session-keeper.ts';
import type { MetadataFollower } from '../controller/store-log.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { AlterPartitionAnswer } from '../replication/types.ts';
import type { LogManager } from '../storage/log-manager.ts';
import type { Logger } from '../util/log.ts';
import type { ClusterMetadata } from './cluster-metadata.ts';
import { OfflineReplicaReporter } from './offline-replicas.ts';

/** The cluster side of a broker (zookeeper.connect set, or a store given). */
export interface ClusterParts {
  readonly keeper: SessionKeeper;
  readonly follower: MetadataFollower;
  readonly metadata: ClusterMetadata;
  registration?: BrokerRegistration;
  controller?: ClusterController;
}

export interface ReplicationWiring {
  logger: Logger;
  /** The broker config with its dynamic values (throttle rates change at runtime). */
  effectiveConfig: () => BrokerConfig;
  /** The inter-broker listener's client security (inter-broker.ts). */
  security: ClientSecurity;
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
}

/** Replication's settings, its fetchers' endpoints and its AlterPartition channel (the admin queue). */
export function replicationOptions(cfg: BrokerConfig, c: ClusterParts, w: ReplicationWiring): ReplicationOptions {
  return {
    nodeId: cfg.nodeId,
    replicaLagTimeMaxMs: cfg.replicaLagTimeMaxMs,
    logger: w.logger,
    alterPartition: async (topicId, partition, req): Promise<AlterPartitionAnswer> => {
      const brokerEpoch = c.registration?.epoch;
      if (brokerEpoch == null) return { error: ErrorCode.STALE_BROKER_EPOCH };
      const res = await c.metadata.call<{ errorCode: number }>({
        op: 'alterPartition',
        brokerId: cfg.nodeId,
        brokerEpoch: String(brokerEpoch),
        topicId,
        partition,
        leaderEpoch: req.leaderEpoch,
        partitionEpoch: req.partitionEpoch,
        newIsr: req.newIsr,
      });
      if (res.errorCode !== ErrorCode.NONE) return { error: res.errorCode };
      const p = c.metadata.image.topicsById.get(topicId)?.partitions.find((x) => x.partition === partition);
      if (p === undefined) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      const state = {
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        replicas: p.replicas,
        isr: p.isr,
      };
      return { error: ErrorCode.NONE, state };
    },
    replicaSelector: cfg.replicaSelector,
    brokerRack: (id) => {
      const b = c.metadata.image.brokers.get(id);
      if (b === undefined || b.fenced || b.endpoints.length === 0) return undefined;
      return b.rack ?? null;
    },
    throttle: {
      leaderRate: () => w.effectiveConfig().get('leader.replication.throttled.rate') as number,
      followerRate: () => w.effectiveConfig().get('follower.replication.throttled.rate') as number,
      windows: cfg.get('replication.quota.window.num') as number,
      windowMs: (cfg.get('replication.quota.window.size.seconds') as number) * 1000,
    },
    fetcher: {
      security: w.security,
      brokerEpoch: () => c.registration?.epoch ?? -1n,
      numFetchers: cfg.numReplicaFetchers,
      fetchMaxBytes: cfg.replicaFetchMaxBytes,
      responseMaxBytes: cfg.replicaFetchResponseMaxBytes,
      waitMaxMs: cfg.replicaFetchWaitMaxMs,
      minBytes: cfg.replicaFetchMinBytes,
      backoffMs: cfg.replicaFetchBackoffMs,
      socketTimeoutMs: cfg.replicaSocketTimeoutMs,
      endpoint: w.endpoint,
    },
  };
}

/** The offline replicas' report (offline-replicas.ts), through the admin queue. */
export function offlineReplicaReporter(
  nodeId: number,
  c: ClusterParts,
  logs: LogManager,
  logger: Logger,
): OfflineReplicaReporter {
  return new OfflineReplicaReporter({
    nodeId,
    image: () => c.metadata.image,
    mayHaveOfflineLogs: () => logs.mayHaveOfflineLogs,
    isOffline: (topic, partition) => logs.get(topic, partition)?.isOffline === true,
    send: async (replicas) => {
      const brokerEpoch = c.registration?.epoch;
      if (brokerEpoch == null) return ErrorCode.STALE_BROKER_EPOCH;
      const r = await c.metadata.call<{ errorCode: number }>({
        op: 'offlineReplicas',
        brokerId: nodeId,
        brokerEpoch: String(brokerEpoch),
        replicas,
      });
      return r.errorCode;
    },
    logger,
  });
}
