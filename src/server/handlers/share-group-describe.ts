// ShareGroupDescribe (77): a share group's state, epochs, assignor and members with their assignments. A group id of
// another type, or unknown, answers GROUP_ID_NOT_FOUND, as Kafka does.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ShareGroupDescribeRequest, ShareGroupDescribeResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedOperations } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

const NO_OPS = -2147483648;

export default defineHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse>({
  apiKey: ApiKey.ShareGroupDescribe,
  versions: [0, 0],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const blank = {
          groupId,
          groupState: 'Dead',
          groupEpoch: -1,
          assignmentEpoch: -1,
          assignorName: '',
          members: [],
          authorizedOperations: NO_OPS,
        };
        if (groupId === '') return { ...blank, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'empty group id' };
        // ACLs (when an authorizer is on): DESCRIBE on the group.
        if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) {
          const errorMessage = `Not authorized to access group: ${groupId}`;
          return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage };
        }
        const g = ctx.broker.shares.groups.groups.get(groupId);
        if (!g) {
          return { ...blank, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
        }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: ctx.broker.shares.groups.state(groupId),
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: 'simple',
          members: [...g.members.values()].map((m) => ({
            memberId: m.memberId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            assignment: {
              topicPartitions: m.assignment.map((t) => ({
                topicId: t.topicId,
                topicName: t.topicName,
                partitions: t.partitions,
              })),
            },
          })),
          authorizedOperations: req.includeAuthorizedOperations
            ? authorizedOperations(ctx, ResourceType.GROUP, groupId)
            : NO_OPS,
        };
      }),
    };
  },
});
