// AddOffsetsToTxn (25): adds the group's __consumer_offsets partition to the transaction.
import { ApiKey } from '../../protocol/apis.ts';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/generated/messages.ts';
import { defineHandler } from '../handler.ts';
import { fencedFor, txnCall } from './txn-common.ts';

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKey.AddOffsetsToTxn,
  versions: [0, 4],
  handle(ctx, req) {
    const code = txnCall(() =>
      ctx.broker.transactions.addOffsets(req.transactionalId, Number(req.producerId), req.producerEpoch, req.groupId),
    );
    return { throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2) };
  },
});
