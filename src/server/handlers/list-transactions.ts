// ListTransactions (66): transactional ids, filtered by state, producer id, (v1+) minimum running time and (v2+) a
// regular expression the whole id must match (KIP-1152; INVALID_REGULAR_EXPRESSION when it does not compile).
// Only ids the principal may DESCRIBE are listed, as Kafka.

import { compileRegex } from '../../coordinator/group/consumer.ts';
import { TXN_STATE_NAMES, TxnState } from '../../coordinator/transaction/state.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/generated/messages.ts';
import { authorized } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: ApiKey.ListTransactions,
  versions: [0, 2],
  handle(ctx, req) {
    const known = new Set<string>(TXN_STATE_NAMES);
    const states = new Set(req.stateFilters);
    const pids = new Set(req.producerIdFilters.map(Number));
    const minDuration = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
    const now = ctx.broker.clock();
    const pattern =
      ctx.apiVersion >= 2 && req.transactionalIdPattern ? compileRegex(req.transactionalIdPattern) : undefined;
    if (pattern === null)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION,
        unknownStateFilters: [],
        transactionStates: [],
      };
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      unknownStateFilters: req.stateFilters.filter((s) => !known.has(s)),
      transactionStates: ctx.broker.transactions
        .list()
        .filter((m) => m.state !== TxnState.Dead)
        .filter((m) => states.size === 0 || states.has(TXN_STATE_NAMES[m.state]))
        .filter((m) => pids.size === 0 || pids.has(m.producerId))
        .filter((m) => pattern === undefined || pattern.test(m.transactionalId))
        .filter((m) => authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactionalId))
        .filter((m) => minDuration < 0 || (m.state === TxnState.Ongoing && now - m.txnStartTimestamp >= minDuration))
        .map((m) => ({
          transactionalId: m.transactionalId,
          producerId: BigInt(m.producerId),
          transactionState: TXN_STATE_NAMES[m.state],
        })),
    };
  },
});
