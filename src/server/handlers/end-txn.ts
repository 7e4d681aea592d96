// EndTxn (26): commit or abort. v5+ is transaction version 2 (KIP-890): the epoch is bumped at every end and the
// new producer id/epoch are returned.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/generated/messages.ts';
import { authorizedTransactionalId } from '../../security/authorize.ts';
import { defineHandler } from '../handler.ts';
import { fencedFor } from './txn-common.ts';

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.EndTxn,
  versions: [0, 5],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    let r: { errorCode: number; producerId: number; producerEpoch: number };
    try {
      // ACLs (when an authorizer is on): WRITE on the transactional id.
      if (!authorizedTransactionalId(ctx, req.transactionalId))
        throw new KafkaError(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      r = await ctx.broker.transactions.endTxn(
        req.transactionalId,
        Number(req.producerId),
        req.producerEpoch,
        req.committed,
        v >= 5,
      );
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      r = { errorCode: e.code, producerId: -1, producerEpoch: -1 };
    }
    return {
      throttleTimeMs: 0,
      errorCode: fencedFor(r.errorCode, v, 2),
      producerId: BigInt(r.producerId),
      producerEpoch: r.producerEpoch,
    };
  },
});
