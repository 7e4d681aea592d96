// ReadShareGroupStateSummary (87): what the group coordinator needs of a share-partition's persisted state (state
// epoch, leader epoch, start offset and, v1, the count of offsets at or above it whose delivery is complete), from
// the share coordinator; UNKNOWN_TOPIC_OR_PARTITION when it was never initialized, NOT_COORDINATOR when the key's
// __share_group_state partition is not led here. Broker-to-broker: CLUSTER_ACTION on the cluster.

import { summarize } from '../../coordinator/share/state.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  ReadShareGroupStateSummaryRequest,
  ReadShareGroupStateSummaryResponse,
} from '../../protocol/generated/messages.ts';
import { requireCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { perSharePartition } from './share-common.ts';

type SummaryRequestPartition = ReadShareGroupStateSummaryRequest['topics'][number]['partitions'][number];
type SummaryResponsePartition = ReadShareGroupStateSummaryResponse['results'][number]['partitions'][number];

export default defineHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse>({
  apiKey: ApiKey.ReadShareGroupStateSummary,
  versions: [0, 1],
  handle(ctx, req) {
    const blank = { stateEpoch: -1, leaderEpoch: -1, startOffset: -1n, deliveryCompleteCount: -1 };
    return {
      results: perSharePartition<SummaryRequestPartition, SummaryResponsePartition>(
        req.topics,
        (topicId, p) => {
          requireCluster(ctx, AclOperation.CLUSTER_ACTION);
          const s = ctx.broker.shares.read({ groupId: req.groupId, topicId, partition: p.partition });
          if (!s) {
            return {
              partition: p.partition,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: 'The share-partition state was never initialized.',
              ...blank,
            };
          }
          const sum = summarize(s);
          return {
            partition: p.partition,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            stateEpoch: sum.stateEpoch,
            leaderEpoch: sum.leaderEpoch,
            startOffset: BigInt(sum.startOffset),
            deliveryCompleteCount: sum.deliveryCompleteCount,
          };
        },
        (p, errorCode, errorMessage) => ({ partition: p.partition, errorCode, errorMessage, ...blank }),
      ),
    };
  },
});
