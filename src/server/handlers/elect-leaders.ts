// ElectLeaders (43): preferred (0) or unclean (1) leader election. In a cluster the active controller decides
// (controller/decisions.ts, electLeaders) and the answer comes once this broker's image has the change. On a single
// node every partition's only replica already leads, so each is ELECTION_NOT_NEEDED, as Kafka answers when the
// preferred replica leads (or, unclean, when a leader exists). Asking for every partition (null) leaves out those
// that need no election, as Kafka's controller does.

import type { MetadataImage, PartitionInfo } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

const PREFERRED = 0;
const UNCLEAN = 1;

interface Result {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

function electLocally(image: MetadataImage, topic: string, p: PartitionInfo, type: number): Result {
  const tp = `${topic}-${p.partition}`;
  const leaderAlive = p.leader >= 0 && image.brokers.get(p.leader)?.fenced === false;
  if (type === PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred === p.leader)
      return {
        partitionId: p.partition,
        errorCode: ErrorCode.ELECTION_NOT_NEEDED,
        errorMessage: `Leader election not needed for ${tp}: the preferred replica ${preferred} leads it.`,
      };
    return {
      partitionId: p.partition,
      errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
      errorMessage: `The preferred leader ${preferred} of ${tp} is not available.`,
    };
  }
  if (leaderAlive)
    return {
      partitionId: p.partition,
      errorCode: ErrorCode.ELECTION_NOT_NEEDED,
      errorMessage: `Leader election not needed for ${tp}: it has leader ${p.leader}.`,
    };
  return {
    partitionId: p.partition,
    errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
    errorMessage: `No live replica of ${tp} can be elected leader.`,
  };
}

type Results = ElectLeadersResponse['replicaElectionResults'];

function single(image: MetadataImage, req: ElectLeadersRequest, type: number): Results {
  const results: Results = [];
  if (req.topicPartitions === null) {
    for (const t of image.topics.values()) {
      const partitionResult = t.partitions
        .map((p) => electLocally(image, t.name, p, type))
        .filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
      if (partitionResult.length > 0) results.push({ topic: t.name, partitionResult });
    }
    return results;
  }
  for (const rt of req.topicPartitions)
    results.push({
      topic: rt.topic,
      partitionResult: rt.partitions.map((index) => {
        const p = image.topics.get(rt.topic)?.partitions[index];
        if (!p)
          return {
            partitionId: index,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `No such partition as ${rt.topic}-${index}`,
          };
        return electLocally(image, rt.topic, p, type);
      }),
    });
  return results;
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: ApiKey.ElectLeaders,
  versions: [0, 2],
  async handle(ctx, req) {
    const type = ctx.apiVersion >= 1 ? req.electionType : PREFERRED;
    if (type !== PREFERRED && type !== UNCLEAN)
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    if (!authorizedCluster(ctx, AclOperation.ALTER))
      // As Kafka: ALTER on the cluster, else the error at the top and on every partition asked for.
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => ({
            partitionId,
            errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: null,
          })),
        })),
      };
    const controller = ctx.broker.controller;
    if (!controller.electLeaders)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        replicaElectionResults: single(ctx.broker.metadata(), req, type),
      };
    const asked =
      req.topicPartitions === null
        ? null
        : req.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const elections = await controller.electLeaders(type === PREFERRED ? 'preferred' : 'unclean', asked);
    const byTopic = new Map<string, Results[number]>();
    // Asked-for topics answer in the request's order, even with every partition's answer in one list.
    for (const t of req.topicPartitions ?? []) byTopic.set(t.topic, { topic: t.topic, partitionResult: [] });
    for (const e of elections) {
      let t = byTopic.get(e.topic);
      if (!t) {
        t = { topic: e.topic, partitionResult: [] };
        byTopic.set(e.topic, t);
      }
      t.partitionResult.push({ partitionId: e.partition, errorCode: e.errorCode, errorMessage: e.errorMessage });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic.values()] };
  },
});
