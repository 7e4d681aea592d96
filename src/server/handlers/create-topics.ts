// CreateTopics (19): validated and applied by the controller; validate-only supported.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/generated/messages.ts';
import { UUID_ZERO } from '../../protocol/io.ts';
import { authorizedCluster, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { mutationQuota, THROTTLED } from '../throttle.ts';

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  versions: [0, 7],
  async handle(ctx, req) {
    const { controller, configs } = ctx.broker;
    // ACLs (when an authorizer is on): CREATE on the cluster, or on the topic.
    const clusterCreate = authorizedCluster(ctx, AclOperation.CREATE);
    const allowed = req.topics.map((t) => clusterCreate || authorizedTopic(ctx, AclOperation.CREATE, t.name));
    const specs = req.topics.map((t) => ({
      name: t.name,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
      configs: Object.fromEntries(t.configs.map((c) => [c.name, c.value])),
    }));
    // controller_mutation_rate (KIP-599): each topic's partitions, counted only for topics that would be created.
    const quota = mutationQuota(ctx, 6);
    const throttled = new Set<number>();
    if (quota.bounded) {
      const dry = await controller.createTopics(
        specs.filter((_, i) => allowed[i]),
        true,
      );
      const now = ctx.broker.clock();
      let k = 0;
      for (let i = 0; i < specs.length; i++) {
        if (!allowed[i]) continue;
        const d = dry[k++]!;
        if (d.errorCode === ErrorCode.NONE && !quota.admit(d.numPartitions, now)) throttled.add(i);
      }
    }
    const created = await controller.createTopics(
      specs.filter((_, i) => allowed[i] && !throttled.has(i)),
      req.validateOnly,
    );
    let next = 0;
    const results = req.topics.map((t, i) =>
      throttled.has(i)
        ? { name: t.name, topicId: UUID_ZERO, ...THROTTLED, numPartitions: -1, replicationFactor: -1 }
        : allowed[i]
          ? created[next++]!
          : {
              name: t.name,
              topicId: UUID_ZERO,
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              errorMessage: 'Authorization failed.',
              numPartitions: -1,
              replicationFactor: -1,
            },
    );
    return {
      throttleTimeMs: quota.throttleMs(ctx.broker.clock()),
      topics: results.map((r, i) => {
        const ok = r.errorCode === ErrorCode.NONE;
        const requested = req.topics[i]!;
        const overrides = Object.fromEntries(
          requested.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value as string]),
        );
        return {
          name: r.name,
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: r.numPartitions,
          replicationFactor: r.replicationFactor,
          configs: ok
            ? configs.describeTopic(overrides).map((e) => ({
                name: e.name,
                value: e.value,
                readOnly: e.readOnly,
                configSource: e.source,
                isSensitive: e.isSensitive,
              }))
            : null,
        };
      }),
    };
  },
});
