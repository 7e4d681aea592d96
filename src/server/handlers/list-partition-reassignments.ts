// ListPartitionReassignments (46): reassignments in progress, from this broker's image (the controller's records
// put them there): each partition with replicas being added or removed, with its replicas, adding and removing
// lists. Named topics or partitions that do not exist, or have none in progress, are left out, as Kafka's
// controller does. On a single node reassignments complete at once, so none is ever listed. Needs DESCRIBE on the
// cluster.

import type { PartitionInfo } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

const ongoing = (p: PartitionInfo | undefined): p is PartitionInfo =>
  p !== undefined && ((p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0);

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKey.ListPartitionReassignments,
  versions: [0, 0],
  handle(ctx, req) {
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        topics: [],
      };
    const image = ctx.broker.metadata();
    const asked =
      req.topics === null
        ? [...image.topics.values()].map((t) => ({ name: t.name, partitions: t.partitions }))
        : req.topics.map((rt) => ({
            name: rt.name,
            partitions: rt.partitionIndexes.map((i) => image.topics.get(rt.name)?.partitions[i]),
          }));
    const topics: ListPartitionReassignmentsResponse['topics'] = [];
    for (const t of asked) {
      const partitions = t.partitions.filter(ongoing).map((p) => ({
        partitionIndex: p.partition,
        replicas: p.replicas.slice(),
        addingReplicas: (p.addingReplicas ?? []).slice(),
        removingReplicas: (p.removingReplicas ?? []).slice(),
      }));
      if (partitions.length > 0) topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
});
