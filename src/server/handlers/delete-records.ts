// DeleteRecords (21), all versions: moves each partition's log start offset (the low watermark) up to the given
// offset (-1: the high watermark). Whole segments below it are deleted; Fetch below it answers OFFSET_OUT_OF_RANGE
// and ListOffsets(earliest) answers it.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: ApiKey.DeleteRecords,
  versions: [0, 2],
  handle(ctx, req) {
    const { replicas } = ctx.broker;
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        // ACLs (when an authorizer is on): DELETE on the topic.
        const r = authorizedTopic(ctx, AclOperation.DELETE, t.name)
          ? replicas.deleteRecords(t.name, p.partitionIndex, Number(p.offset))
          : { lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(r.lowWatermark), errorCode: r.errorCode };
      }),
    }));
    replicas.checkpointLogStartOffsets();
    return { throttleTimeMs: 0, topics };
  },
});
