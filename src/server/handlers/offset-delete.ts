// OffsetDelete (47): drops committed offsets of topics the group is not subscribed to.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic, requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { PartitionErrors } from './partition-errors.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKey.OffsetDelete,
  versions: [0, 0],
  async handle(ctx, req) {
    const image = ctx.broker.metadata();
    // ACLs (when an authorizer is on): DELETE on the group, READ on each topic.
    requireGroup(ctx, AclOperation.DELETE, req.groupId);
    const errors = new PartitionErrors();
    const wanted: Array<{ topic: string; partition: number }> = [];
    for (const t of req.topics)
      for (const p of t.partitions) {
        const topic = image.topics.get(t.name);
        if (!authorizedTopic(ctx, AclOperation.READ, t.name))
          errors.set(t.name, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        else if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length)
          errors.set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        else wanted.push({ topic: t.name, partition: p.partitionIndex });
      }
    const r = await ctx.broker.groups.deleteOffsets(req.groupId, wanted);
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
    for (const x of r.results) errors.set(x.topic, x.partition, x.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: errors.response(req.topics),
    };
  },
});
