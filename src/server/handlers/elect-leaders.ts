// ElectLeaders (43): preferred (0) or unclean (1) leader election. Leadership only moves between replicas in the
// ISR; with one broker every partition's only replica already leads, so each partition is ELECTION_NOT_NEEDED as
// Kafka answers when the preferred replica leads (or, unclean, when a leader exists). Asking for every partition
// (null) leaves out those that need no election, as Kafka's controller does.

import type { MetadataImage, PartitionInfo } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';

const PREFERRED = 0;
const UNCLEAN = 1;

interface Result {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

function elect(image: MetadataImage, topic: string, p: PartitionInfo, type: number): Result {
  const tp = `${topic}-${p.partition}`;
  const leaderAlive = p.leader >= 0 && image.brokers.get(p.leader)?.fenced === false;
  if (type === PREFERRED) {
    const preferred = p.replicas[0];
    if (preferred === p.leader && leaderAlive)
      return {
        partitionId: p.partition,
        errorCode: ErrorCode.ELECTION_NOT_NEEDED,
        errorMessage: `Leader election not needed for ${tp}: the preferred replica ${preferred} is the leader.`,
      };
    // Leadership moves only with replication; until then the preferred replica can lead only if it already does.
    return {
      partitionId: p.partition,
      errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
      errorMessage: `Failed to elect the preferred replica ${preferred} for ${tp}: it is not an in-sync replica on a live broker.`,
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

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: ApiKey.ElectLeaders,
  versions: [0, 2],
  handle(ctx, req) {
    const image = ctx.broker.metadata();
    const type = ctx.apiVersion >= 1 ? req.electionType : PREFERRED;
    if (type !== PREFERRED && type !== UNCLEAN)
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    const results: ElectLeadersResponse['replicaElectionResults'] = [];
    if (req.topicPartitions === null) {
      for (const t of image.topics.values()) {
        const partitionResult = t.partitions
          .map((p) => elect(image, t.name, p, type))
          .filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
        if (partitionResult.length > 0) results.push({ topic: t.name, partitionResult });
      }
    } else {
      for (const rt of req.topicPartitions) {
        const t = image.topics.get(rt.topic);
        results.push({
          topic: rt.topic,
          partitionResult: rt.partitions.map((index) => {
            const p = t?.partitions[index];
            if (!p)
              return {
                partitionId: index,
                errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: `Topic partition ${rt.topic}-${index} does not exist.`,
              };
            return elect(image, rt.topic, p, type);
          }),
        });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
});
