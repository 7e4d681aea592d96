// ShareGroupDescribe (77): a share group's state, epochs, assignor and members with their assignments. A group id of
// another type, or unknown, answers GROUP_ID_NOT_FOUND, as Kafka does; elsewhere than its group coordinator,
// NOT_COORDINATOR. Share groups are stored in __consumer_offsets (loaded with their epochs); one known only by
// share-partition state written before that is restored as Empty at epoch 0. Served at v1 (Kafka 4.4's only
// version); every group answers UNSUPPORTED_VERSION unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { ShareGroupDescribeRequest, ShareGroupDescribeResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedOperations, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { shareGroupsDisabled } from './share-common.ts';

const NO_OPS = -2147483648;

export default defineHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse>({
  apiKey: ApiKey.ShareGroupDescribe,
  versions: [1, 1],
  async handle(ctx, req) {
    const off = shareGroupsDisabled(ctx);
    return {
      throttleTimeMs: 0,
      groups: await Promise.all(
        req.groupIds.map(async (groupId) => {
          const blank = {
            groupId,
            groupState: 'Dead',
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: '',
            members: [],
            authorizedOperations: NO_OPS,
          };
          if (off !== null) return { ...blank, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: off };
          if (groupId === '')
            return { ...blank, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'empty group id' };
          // ACLs (when an authorizer is on): DESCRIBE on the group.
          if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId)) {
            const errorMessage = `Not authorized to access group: ${groupId}`;
            return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage };
          }
          try {
            await ctx.broker.shares.restore(groupId);
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { ...blank, errorCode: e.code, errorMessage: e.message };
          }
          const g = ctx.broker.shares.groups.groups.get(groupId);
          if (!g) {
            return { ...blank, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
          }
          // v1: a group whose members subscribe to or are assigned a topic the principal may not DESCRIBE is not shown.
          const topics = new Set<string>();
          for (const m of g.members.values()) {
            for (const t of m.subscribedTopicNames) topics.add(t);
            for (const t of m.assignment) topics.add(t.topicName);
          }
          if ([...topics].some((t) => !authorizedTopic(ctx, AclOperation.DESCRIBE, t))) {
            const errorMessage = 'The group has described topic(s) that the client is not authorized to describe.';
            return { ...blank, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage };
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
      ),
    };
  },
});
