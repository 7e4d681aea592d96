// WriteShareGroupState (85): a share-partition leader's state changes (start offset or -1, changed state batches)
// persisted by the share coordinator; FENCED_STATE_EPOCH for a writer of an older state epoch.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { WriteShareGroupStateRequest, WriteShareGroupStateResponse } from '../../protocol/generated/messages.ts';
import { requireCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { perSharePartition, stateResult } from './share-common.ts';

const STATES = new Set([0, 2, 4]);

export default defineHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse>({
  apiKey: ApiKey.WriteShareGroupState,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      results: perSharePartition(
        req.topics,
        (topicId, p) => {
          // Broker-to-broker: CLUSTER_ACTION on the cluster, as Kafka's KafkaApis checks.
          requireCluster(ctx, AclOperation.CLUSTER_ACTION);
          const bad =
            p.startOffset < -1n ||
            p.stateBatches.some(
              (b) =>
                b.firstOffset < 0n ||
                b.lastOffset < b.firstOffset ||
                !STATES.has(b.deliveryState) ||
                b.deliveryCount < 0,
            );
          if (bad) {
            return {
              partition: p.partition,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: 'Invalid state batch.',
            };
          }
          const key = { groupId: req.groupId, topicId, partition: p.partition };
          const code = ctx.broker.shares.write(key, p.stateEpoch, p.leaderEpoch, {
            startOffset: Number(p.startOffset),
            batches: p.stateBatches.map((b) => ({
              firstOffset: Number(b.firstOffset),
              lastOffset: Number(b.lastOffset),
              deliveryState: b.deliveryState,
              deliveryCount: b.deliveryCount,
            })),
          });
          return stateResult(p.partition, code);
        },
        (p, errorCode, errorMessage) => ({ partition: p.partition, errorCode, errorMessage }),
      ),
    };
  },
});
