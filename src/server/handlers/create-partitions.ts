// CreatePartitions (37): add partitions to existing topics.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { mutationQuota, THROTTLED } from '../throttle.ts';

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
    // controller_mutation_rate (KIP-599): the partitions each valid request adds.
    const quota = mutationQuota(ctx, 3);
    const throttled = new Set<string>();
    let wanted = req.topics.filter((t) => !dup.has(t.name) && !denied.has(t.name));
    if (quota.bounded) {
      const dry = await ctx.broker.controller.createPartitions(wanted, true);
      const image = ctx.broker.metadata();
      const now = ctx.broker.clock();
      for (const d of dry) {
        const adding =
          (req.topics.find((t) => t.name === d.name)?.count ?? 0) - (image.topics.get(d.name)?.partitions.length ?? 0);
        if (d.errorCode === ErrorCode.NONE && !quota.admit(adding, now)) throttled.add(d.name);
      }
      wanted = wanted.filter((t) => !throttled.has(t.name));
    }
    const results = await ctx.broker.controller.createPartitions(wanted, req.validateOnly);
    for (const name of throttled) results.push({ name, ...THROTTLED });
    for (const name of denied)
      results.push({ name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
    for (const name of dup)
      results.push({
        name,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Create topic partitions request contains duplicate topic ${name}`,
      });
    return { throttleTimeMs: quota.throttleMs(ctx.broker.clock()), results };
  },
});
