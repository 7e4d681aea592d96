// Metadata (3): brokers, controller and topic/partition leadership, with auto topic creation.

import { validateTopicName } from '../../metadata/controller.ts';
import type { MetadataImage, TopicInfo } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { MetadataRequest, MetadataResponse } from '../../protocol/generated/messages.ts';
import { UUID_ZERO } from '../../protocol/io.ts';
import { authorizedCluster, authorizedOperations, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/authorizer.ts';
import { defineHandler, type RequestContext } from '../handler.ts';

type TopicOut = Encodable<MetadataResponse['topics'][number]>;

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export function describeTopic(t: TopicInfo, image: MetadataImage): TopicOut {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions: t.partitions.map((p) => {
      // Live: registered and not fenced (a broker whose session ended is fenced until it registers again).
      const live = (id: number) => image.brokers.get(id)?.fenced === false;
      const leaderAlive = live(p.leader);
      return {
        errorCode: leaderAlive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: leaderAlive ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: p.replicas.filter((r) => !live(r)),
      };
    }),
    topicAuthorizedOperations: -2147483648,
  };
}

export function brokerEndpoints(ctx: RequestContext, image: MetadataImage, opts: { includeFenced?: boolean } = {}) {
  const out: Array<{ nodeId: number; host: string; port: number; rack: string | null }> = [];
  for (const b of [...image.brokers.values()].sort((a, b) => a.nodeId - b.nodeId)) {
    if (b.fenced && !opts.includeFenced) continue; // as Kafka: only live brokers (DescribeCluster v2 may ask for all)
    const ep = b.endpoints.find((e) => e.name === ctx.connection.listenerName) ?? b.endpoints[0];
    if (ep) out.push({ nodeId: b.nodeId, host: ep.host, port: ep.port, rack: b.rack });
  }
  return out;
}

/**
 * A topic asked for by id (v10+: a non-zero id, the name null or empty). An empty name with no id is a name, and an
 * invalid one: INVALID_TOPIC_EXCEPTION as Kafka answers (the empty name is encodable in every version, so the
 * connection stays open).
 */
function byId(rt: { topicId: string; name: string | null }): boolean {
  return rt.topicId !== UUID_ZERO && (rt.name === null || rt.name === '');
}

export default defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.Metadata,
  versions: [0, 13],
  async handle(ctx, req) {
    const broker = ctx.broker;
    const v = ctx.apiVersion;
    let image = broker.metadata();
    const topics: TopicOut[] = [];
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    // ACLs (when an authorizer is on): a topic the principal may not DESCRIBE is left out of a full listing and
    // answered TOPIC_AUTHORIZATION_FAILED when named, whether it exists or not (its existence stays hidden).
    const describable = (name: string) => authorizedTopic(ctx, AclOperation.DESCRIBE, name);
    const mayCreate = (name: string) =>
      authorizedCluster(ctx, AclOperation.CREATE) || authorizedTopic(ctx, AclOperation.CREATE, name);
    const denied = (name: string): TopicOut => ({
      errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
      name,
      topicId: UUID_ZERO,
      isInternal: false,
      partitions: [],
    });
    if (all) {
      for (const t of [...image.topics.values()].sort((a, b) => a.name.localeCompare(b.name)))
        if (describable(t.name)) topics.push(describeTopic(t, image));
    } else {
      const autoCreate = broker.config.autoCreateTopicsEnable && (v < 4 || req.allowAutoTopicCreation);
      const toCreate: string[] = [];
      for (const rt of req.topics!) {
        if (byId(rt)) {
          const t = image.topicsById.get(rt.topicId);
          if (t && describable(t.name)) topics.push(describeTopic(t, image));
          else topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, partitions: [] });
          continue;
        }
        if (rt.name === null || image.topics.has(rt.name)) continue;
        if (validateTopicName(rt.name) !== null) continue;
        if (autoCreate && !toCreate.includes(rt.name) && describable(rt.name) && mayCreate(rt.name))
          toCreate.push(rt.name);
      }
      if (toCreate.length > 0) {
        await broker.controller.createTopics(
          toCreate.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} })),
          false,
        );
        image = broker.metadata();
      }
      for (const rt of req.topics!) {
        if (byId(rt)) continue;
        if (rt.name === null) {
          // v10+: neither a name nor a topic id.
          topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: UUID_ZERO, partitions: [] });
          continue;
        }
        const t = image.topics.get(rt.name);
        if (!describable(rt.name) || (t === undefined && autoCreate && !mayCreate(rt.name)))
          topics.push(denied(rt.name));
        else if (t) topics.push(describeTopic(t, image));
        else
          topics.push({
            errorCode:
              validateTopicName(rt.name) !== null
                ? ErrorCode.INVALID_TOPIC_EXCEPTION
                : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            name: rt.name,
            topicId: UUID_ZERO,
            isInternal: false,
            partitions: [],
          });
      }
    }
    if (v >= 8 && req.includeTopicAuthorizedOperations)
      for (const t of topics)
        if (t.name !== null && t.name !== undefined)
          t.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.TOPIC, t.name);
    return {
      throttleTimeMs: 0,
      // v13's top-level error code (KIP-1102) is for a broker that cannot answer for the cluster at all: never here.
      errorCode: ErrorCode.NONE,
      brokers: brokerEndpoints(ctx, image),
      clusterId: image.clusterId,
      controllerId: broker.controller.controllerId(),
      topics,
      clusterAuthorizedOperations: clusterOperations(ctx, v >= 8 && req.includeClusterAuthorizedOperations),
    };
  },
});

/** v8+ (as Kafka): the cluster operations the principal may perform when asked and it may DESCRIBE the cluster, else 0. */
export function clusterOperations(ctx: RequestContext, asked: boolean): number {
  if (!asked) return -2147483648;
  return authorizedCluster(ctx, AclOperation.DESCRIBE)
    ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME)
    : 0;
}
