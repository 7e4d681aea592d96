// ConsumerGroupHeartbeat (68): the consumer group protocol of KIP-848 (join with epoch 0, heartbeat, leave with -1,
// static leave with -2). v1 adds the topic regex; since v1 the client generates its member id.
import { ApiKey } from '../../protocol/apis.ts';
import type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { heartbeatAnswer } from './group-heartbeat-answer.ts';

export default defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  versions: [0, 1],
  handle(ctx, req) {
    return heartbeatAnswer(() => {
      requireGroup(ctx, AclOperation.READ, req.groupId);
      return ctx.broker.groups.consumerGroupHeartbeat({
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
    });
  },
});
