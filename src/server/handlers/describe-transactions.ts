// DescribeTransactions (65): the coordinator's view of transactional ids.

import { TXN_STATE_NAMES } from '../../coordinator/transaction/state.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/generated/messages.ts';
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
        let m: ReturnType<typeof ctx.broker.transactions.describe>;
        try {
          m = ctx.broker.transactions.describe(id);
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { ...none, errorCode: e.code };
        }
        if (!m) return { ...none, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
        const byTopic = new Map<string, number[]>();
        for (const tp of m.partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
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
