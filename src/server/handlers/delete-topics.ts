// DeleteTopics (20): by name (v0-5) or by name or topic id (v6+).
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/generated/messages.ts';
import { UUID_ZERO } from '../../protocol/io.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { mutationQuota, THROTTLED } from '../throttle.ts';

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DeleteTopics,
  versions: [0, 6],
  async handle(ctx, req) {
    const { controller, config } = ctx.broker;
    const wanted =
      ctx.apiVersion >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId === UUID_ZERO ? null : t.topicId }))
        : req.topicNames.map((name) => ({ name, topicId: null }));
    if (!config.deleteTopicEnable) {
      return {
        throttleTimeMs: 0,
        responses: wanted.map((w) => ({
          name: w.name,
          topicId: w.topicId ?? UUID_ZERO,
          errorCode: ErrorCode.TOPIC_DELETION_DISABLED,
          errorMessage: 'Topic deletion is disabled (delete.topic.enable=false).',
        })),
      };
    }
    // ACLs (when an authorizer is on): DELETE on each topic (by id: on the topic the id names, if any).
    const image = ctx.broker.metadata();
    const nameOf = (w: { name: string | null; topicId: string | null }) =>
      w.topicId !== null ? (image.topicsById.get(w.topicId)?.name ?? null) : w.name;
    const allowed = wanted.map((w) => {
      const name = nameOf(w);
      return name === null || authorizedTopic(ctx, AclOperation.DELETE, name);
    });
    // controller_mutation_rate (KIP-599): the partitions of each existing topic deleted.
    const quota = mutationQuota(ctx, 5);
    const now = ctx.broker.clock();
    const throttled = wanted.map((w, i) => {
      const name = allowed[i] ? nameOf(w) : null;
      const topic = name === null ? undefined : image.topics.get(name);
      return topic !== undefined && !quota.admit(topic.partitions.length, now);
    });
    const deleted = await controller.deleteTopics(wanted.filter((_, i) => allowed[i] && !throttled[i]));
    let next = 0;
    const responses = wanted.map((w, i) =>
      throttled[i]
        ? { name: w.name, topicId: w.topicId ?? UUID_ZERO, ...THROTTLED }
        : allowed[i]
          ? deleted[next++]!
          : {
              name: w.name,
              topicId: w.topicId ?? UUID_ZERO,
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              errorMessage: 'Authorization failed.',
            },
    );
    return { throttleTimeMs: quota.throttleMs(ctx.broker.clock()), responses };
  },
});
