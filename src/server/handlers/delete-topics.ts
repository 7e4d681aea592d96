// DeleteTopics (20): by name (v0-5) or by name or topic id (v6+).
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/generated/messages.ts';
import { UUID_ZERO } from '../../protocol/io.ts';
import { defineHandler } from '../handler.ts';

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
    return { throttleTimeMs: 0, responses: await controller.deleteTopics(wanted) };
  },
});
