// InitProducerId (22): a fresh producer id for idempotent producers; for transactional ids, the id's producer id
// with a bumped epoch (fencing older instances, aborting their open transaction). v3+ (KIP-360) carry the current
// producer id and epoch so a producer can bump its own epoch after an error.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/generated/messages.ts';
import { authorizedTransactionalId, mayWriteIdempotently } from '../../security/authorize.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.InitProducerId,
  versions: [0, 5],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    let r: { errorCode: number; producerId: number; producerEpoch: number };
    // ACLs (when an authorizer is on): WRITE on the transactional id; an idempotent producer needs
    // IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
    if (req.transactionalId !== null && !authorizedTransactionalId(ctx, req.transactionalId))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    if (req.transactionalId === null && !mayWriteIdempotently(ctx))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    try {
      r = await ctx.broker.transactions.initProducerId(
        req.transactionalId,
        req.transactionTimeoutMs,
        v >= 3 ? Number(req.producerId) : -1,
        v >= 3 ? req.producerEpoch : -1,
      );
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      r = { errorCode: e.code, producerId: -1, producerEpoch: -1 };
    }
    // PRODUCER_FENCED arrived with v4; older clients know it as INVALID_PRODUCER_EPOCH.
    const errorCode =
      r.errorCode === ErrorCode.PRODUCER_FENCED && v < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: BigInt(r.producerId), producerEpoch: r.producerEpoch };
  },
});
