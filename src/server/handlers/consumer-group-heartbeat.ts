// ConsumerGroupHeartbeat (68): the consumer group protocol of KIP-848 (join with epoch 0, heartbeat, leave with -1,
// static leave with -2). v1 adds the topic regex; since v1 the client generates its member id.
import { ApiKey } from '../../protocol/apis.ts';
import { KafkaError } from '../../protocol/errors.ts';
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  versions: [0, 1],
  handle(ctx, req) {
    try {
      requireGroup(ctx, AclOperation.READ, req.groupId);
      const r = ctx.broker.groups.consumerGroupHeartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        instanceId: req.instanceId,
        rackId: req.rackId,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        subscribedTopicNames: req.subscribedTopicNames,
        subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
        serverAssignor: req.serverAssignor,
        topicPartitions: req.topicPartitions,
        clientId: ctx.header.clientId ?? '',
        clientHost: `/${ctx.connection.remoteAddress}`,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        memberId: r.memberId,
        memberEpoch: r.memberEpoch,
        heartbeatIntervalMs: r.heartbeatIntervalMs,
        assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
      };
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return {
        throttleTimeMs: 0,
        errorCode: e.code,
        errorMessage: e.message,
        memberId: null,
        memberEpoch: -1,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
  },
});
