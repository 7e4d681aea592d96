// AddOffsetsToTxn (25): adds the group's __consumer_offsets partition to the transaction.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { fencedFor, txnAwait } from './txn-common.ts';

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKey.AddOffsetsToTxn,
  versions: [0, 4],
  async handle(ctx, req) {
    // ACLs (when an authorizer is on): WRITE on the transactional id, READ on the group.
    const code = !authorizedTransactionalId(ctx, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !authorizedGroup(ctx, AclOperation.READ, req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : await txnAwait(() =>
            ctx.broker.transactions.addOffsets(
              req.transactionalId,
              Number(req.producerId),
              req.producerEpoch,
              req.groupId,
            ),
          );
    return { throttleTimeMs: 0, errorCode: fencedFor(code, ctx.apiVersion, 2) };
  },
});
