// InitializeShareGroupState (83): the share coordinator starts (or restarts, with a higher state epoch) the persisted
// state of share-partitions at a start offset. Broker to broker; here the share-partition leader uses the local
// share coordinator directly, and this API serves other brokers and tools.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  InitializeShareGroupStateRequest,
  InitializeShareGroupStateResponse,
} from '../../protocol/generated/messages.ts';
import { requireCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { perSharePartition, stateResult } from './share-common.ts';

export default defineHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponse>({
  apiKey: ApiKey.InitializeShareGroupState,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      results: perSharePartition(
        req.topics,
        (topicId, p) => {
          // Broker-to-broker: CLUSTER_ACTION on the cluster, as Kafka's KafkaApis checks.
          requireCluster(ctx, AclOperation.CLUSTER_ACTION);
          if (p.startOffset < 0n) return stateResult(p.partition, ErrorCode.INVALID_REQUEST);
          const key = { groupId: req.groupId, topicId, partition: p.partition };
          return stateResult(p.partition, ctx.broker.shares.initialize(key, p.stateEpoch, Number(p.startOffset)));
        },
        (p, errorCode, errorMessage) => ({ partition: p.partition, errorCode, errorMessage }),
      ),
    };
  },
});
