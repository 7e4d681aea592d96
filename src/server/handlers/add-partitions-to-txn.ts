// AddPartitionsToTxn (24): v0-3 one transaction from a producer; v4+ a batch of transactions (from brokers), each
// optionally verify-only (KIP-890 part 1: is the partition already in the transaction?).
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler, type RequestContext } from '../handler.ts';
import { fencedFor, txnAwait, txnCall } from './txn-common.ts';

type Topics = Array<{ name: string; partitions: number[] }>;

function results(topics: Topics, code: (topic: string, p: number) => number) {
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })),
  }));
}

async function addOne(
  ctx: RequestContext,
  txnId: string,
  producerId: number,
  producerEpoch: number,
  topics: Topics,
  verifyOnly: boolean,
  clientTransactionVersion = 0,
) {
  const txn = ctx.broker.transactions;
  const image = ctx.broker.metadata();
  const unknown = (topic: string, p: number) => {
    const t = image.topics.get(topic);
    return !t || p < 0 || p >= t.partitions.length;
  };
  // ACLs (when an authorizer is on): WRITE on the transactional id, then WRITE on each topic; a denied topic fails
  // the request, the others answer OPERATION_NOT_ATTEMPTED (Kafka's KafkaApis).
  if (!authorizedTransactionalId(ctx, txnId))
    return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const deniedTopics = new Set(
    topics.filter((t) => !authorizedTopic(ctx, AclOperation.WRITE, t.name)).map((t) => t.name),
  );
  if (deniedTopics.size > 0)
    return results(topics, (topic) =>
      deniedTopics.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  if (verifyOnly) {
    return results(topics, (topic, p) =>
      txnCall(() => txn.verify(txnId, producerId, producerEpoch, { topic, partition: p })),
    );
  }
  // Kafka: any unknown partition fails the request; the others answer OPERATION_NOT_ATTEMPTED.
  if (topics.some((t) => t.partitions.some((p) => unknown(t.name, p)))) {
    return results(topics, (topic, p) =>
      unknown(topic, p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
    );
  }
  const parts = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const code = fencedFor(
    await txnAwait(() => txn.addPartitions(txnId, producerId, producerEpoch, parts, clientTransactionVersion)),
    ctx.apiVersion,
    2,
  );
  return results(topics, () => code);
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKey.AddPartitionsToTxn,
  versions: [0, 5],
  async handle(ctx, req) {
    if (ctx.apiVersion <= 3) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        resultsByTransaction: [],
        resultsByTopicV3AndBelow: await addOne(
          ctx,
          req.v3AndBelowTransactionalId,
          Number(req.v3AndBelowProducerId),
          req.v3AndBelowProducerEpoch,
          req.v3AndBelowTopics,
          false,
        ),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTopicV3AndBelow: [],
      // v5+ adds (not verify-only) come from partition leaders for producers on transaction version 2 (KIP-890).
      resultsByTransaction: await Promise.all(
        req.transactions.map(async (t) => ({
          transactionalId: t.transactionalId,
          topicResults: await addOne(
            ctx,
            t.transactionalId,
            Number(t.producerId),
            t.producerEpoch,
            t.topics,
            t.verifyOnly,
            ctx.apiVersion >= 5 && !t.verifyOnly ? 2 : 0,
          ),
        })),
      ),
    };
  },
});
