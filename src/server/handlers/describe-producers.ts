// DescribeProducers (61): the producer state of partitions (idempotent and transactional producers). Needs READ on
// the topic (else TOPIC_AUTHORIZATION_FAILED for its partitions), as Kafka.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  apiKey: ApiKey.DescribeProducers,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!authorizedTopic(ctx, AclOperation.READ, t.name))
            return {
              partitionIndex,
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              errorMessage: null,
              activeProducers: [],
            };
          const p = ctx.broker.replicas.get(t.name, partitionIndex);
          if (!p)
            return {
              partitionIndex,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: null,
              activeProducers: [],
            };
          return {
            partitionIndex,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            activeProducers: [...p.producers.producers.values()].map((e) => ({
              producerId: BigInt(e.producerId),
              producerEpoch: e.producerEpoch,
              lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
              lastTimestamp: BigInt(e.lastTimestamp),
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
            })),
          };
        }),
      })),
    };
  },
});
