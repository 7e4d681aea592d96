// CreatePartitions (37): add partitions to existing topics.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  versions: [0, 3],
  async handle(ctx, req) {
    const seen = new Set<string>();
    const dup = new Set(req.topics.filter((t) => seen.size === seen.add(t.name).size).map((t) => t.name));
    // ACLs (when an authorizer is on): ALTER on the topic.
    const denied = new Set(
      req.topics
        .filter((t) => !dup.has(t.name) && !authorizedTopic(ctx, AclOperation.ALTER, t.name))
        .map((t) => t.name),
    );
    const results = await ctx.broker.controller.createPartitions(
      req.topics.filter((t) => !dup.has(t.name) && !denied.has(t.name)),
      req.validateOnly,
    );
    for (const name of denied)
      results.push({ name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
    for (const name of dup)
      results.push({
        name,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Create topic partitions request contains duplicate topic ${name}`,
      });
    return { throttleTimeMs: 0, results };
  },
});
