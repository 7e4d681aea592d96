// Produce (0): validate and append each partition's records; acks 0 sends no response.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/messages.ts';
import { defineHandler, NO_RESPONSE } from '../handler.ts';

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  handle(ctx, req) {
    const { replicas, clock } = ctx.broker;
    const now = clock();
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const r = validAcks
          ? replicas.produce(t.name, p.index, p.records, now)
          : { errorCode: ErrorCode.INVALID_REQUIRED_ACKS, errorMessage: `Invalid required acks ${req.acks}` };
        return {
          index: p.index,
          errorCode: r.errorCode,
          baseOffset: r.errorCode === ErrorCode.NONE ? (r.baseOffset ?? -1) : -1,
          logAppendTimeMs: r.logAppendTime ?? -1,
          logStartOffset: r.logStartOffset ?? -1,
          errorMessage: r.errorMessage,
        };
      }),
    }));
    if (req.acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
});
