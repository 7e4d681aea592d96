// ReadShareGroupState (84): the persisted state of share-partitions (state epoch, start offset, state batches) from
// the share coordinator; UNKNOWN_TOPIC_OR_PARTITION when it was never initialized.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ReadShareGroupStateRequest, ReadShareGroupStateResponse } from '../../protocol/generated/messages.ts';
import { requireCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { perSharePartition } from './share-common.ts';

type ReadRequestPartition = ReadShareGroupStateRequest['topics'][number]['partitions'][number];
type ReadResponsePartition = ReadShareGroupStateResponse['results'][number]['partitions'][number];

export default defineHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse>({
  apiKey: ApiKey.ReadShareGroupState,
  versions: [0, 0],
  handle(ctx, req) {
    const blank = { stateEpoch: -1, startOffset: -1n, stateBatches: [] };
    return {
      results: perSharePartition<ReadRequestPartition, ReadResponsePartition>(
        req.topics,
        (topicId, p) => {
          // Broker-to-broker: CLUSTER_ACTION on the cluster, as Kafka's KafkaApis checks.
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
          return {
            partition: p.partition,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            stateEpoch: s.stateEpoch,
            startOffset: BigInt(s.startOffset),
            stateBatches: s.batches.map((b) => ({
              firstOffset: BigInt(b.firstOffset),
              lastOffset: BigInt(b.lastOffset),
              deliveryState: b.deliveryState,
              deliveryCount: b.deliveryCount,
            })),
          };
        },
        (p, errorCode, errorMessage) => ({ partition: p.partition, errorCode, errorMessage, ...blank }),
      ),
    };
  },
});
