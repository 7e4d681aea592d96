// ShareGroupHeartbeat (76): share groups (KIP-932) join with epoch 0, heartbeat, and leave with -1; the answer carries
// the member's assignment when it changed. Served at v1, Kafka 4.4's only version (v0 was 4.0's early access). Off
// (UNSUPPORTED_VERSION) unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic, requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { heartbeatAnswer } from './group-heartbeat-answer.ts';
import { shareGroupsDisabled } from './share-common.ts';

export default defineHandler<ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse>({
  apiKey: ApiKey.ShareGroupHeartbeat,
  versions: [1, 1],
  handle(ctx, req) {
    return heartbeatAnswer(() => {
      const off = shareGroupsDisabled(ctx);
      if (off !== null) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, off);
      // Membership lives at the group's coordinator (FindCoordinator GROUP); any other broker sends the member there.
      if (!ctx.broker.groups.coordinates(req.groupId))
        throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker is not the coordinator of ${req.groupId}`);
      // ACLs (when an authorizer is on): READ on the group, DESCRIBE on every subscribed topic.
      requireGroup(ctx, AclOperation.READ, req.groupId);
      const hidden = (req.subscribedTopicNames ?? []).filter((t) => !authorizedTopic(ctx, AclOperation.DESCRIBE, t));
      if (hidden.length > 0)
        throw new KafkaError(
          ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          `The following topics are unauthorized to subscribe: ${hidden.join(', ')}`,
        );
      return ctx.broker.shares.heartbeat({
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        rackId: req.rackId,
        subscribedTopicNames: req.subscribedTopicNames,
        clientId: ctx.header.clientId ?? '',
        clientHost: `/${ctx.connection.remoteAddress}`,
      });
    });
  },
});
