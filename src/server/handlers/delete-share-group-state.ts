// DeleteShareGroupState (86): the share coordinator forgets the persisted state of share-partitions (tombstones).

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteShareGroupStateRequest, DeleteShareGroupStateResponse } from '../../protocol/generated/messages.ts';
import { requireCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { perSharePartition, stateResult } from './share-common.ts';

export default defineHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>({
  apiKey: ApiKey.DeleteShareGroupState,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      results: perSharePartition(
        req.topics,
        (topicId, p) => {
          // Broker-to-broker: CLUSTER_ACTION on the cluster, as Kafka's KafkaApis checks.
          requireCluster(ctx, AclOperation.CLUSTER_ACTION);
          ctx.broker.shares.deleteState({ groupId: req.groupId, topicId, partition: p.partition });
          return stateResult(p.partition, ErrorCode.NONE);
        },
        (p, errorCode, errorMessage) => ({ partition: p.partition, errorCode, errorMessage }),
      ),
    };
  },
});
