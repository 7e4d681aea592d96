// DescribeTransactions (65): the coordinator's view of transactional ids. Needs DESCRIBE on each transactional id
// (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED); partitions of topics the principal may not DESCRIBE are left out.

import { TXN_STATE_NAMES } from '../../coordinator/transaction/state.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/generated/messages.ts';
import { authorized, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const none = {
          transactionalId: id,
          transactionState: '',
          transactionTimeoutMs: 0,
          transactionStartTimeMs: -1n,
          producerId: -1n,
          producerEpoch: -1,
          topics: [],
        };
        if (!authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id))
          return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
        let m: ReturnType<typeof ctx.broker.transactions.describe>;
        try {
          m = ctx.broker.transactions.describe(id);
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { ...none, errorCode: e.code };
        }
        if (!m) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
        const byTopic = new Map<string, number[]>();
        for (const tp of m.partitions)
          if (authorizedTopic(ctx, AclOperation.DESCRIBE, tp.topic))
            byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        return {
          errorCode: ErrorCode.NONE,
          transactionalId: id,
          transactionState: TXN_STATE_NAMES[m.state],
          transactionTimeoutMs: m.txnTimeoutMs,
          transactionStartTimeMs: BigInt(m.txnStartTimestamp),
          producerId: BigInt(m.producerId),
          producerEpoch: m.producerEpoch,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
});
