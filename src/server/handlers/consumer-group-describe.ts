// ConsumerGroupDescribe (69): epochs, assignor, and each member's current and target assignment (KIP-848 groups).
// A classic group id answers GROUP_ID_NOT_FOUND, as Kafka does (admin clients then fall back to DescribeGroups).
// v1 says each member's type (KIP-1099): every member here joined with ConsumerGroupHeartbeat, a consumer member.
// ACLs as Kafka: DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED), and DESCRIBE on every topic of the
// members' assignments (else TOPIC_AUTHORIZATION_FAILED for the group, nothing described: KAFKA-18813).
import { type Assignment, toList } from '../../coordinator/group/consumer.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedOperations, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

const NO_OPS = -2147483648;
/** MemberType: -1 unknown, 0 classic, 1 consumer. */
const CONSUMER_MEMBER = 1;

export default defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  apiKey: ApiKey.ConsumerGroupDescribe,
  versions: [0, 1],
  handle(ctx, req) {
    const image = ctx.broker.metadata();
    const named = (a: Assignment | undefined) => ({
      topicPartitions: toList(a ?? new Map()).map((t) => ({
        topicId: t.topicId,
        topicName: image.topicsById.get(t.topicId)?.name ?? '',
        partitions: t.partitions,
      })),
    });
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        const blank = {
          groupId,
          groupState: '',
          groupEpoch: -1,
          assignmentEpoch: -1,
          assignorName: '',
          members: [],
          authorizedOperations: NO_OPS,
        };
        if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId))
          return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
        try {
          if (groupId === '')
            return { ...blank, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'empty group id' };
          const d = ctx.broker.groups.consumerGroup(groupId);
          if (d === null || d === 'classic')
            return {
              ...blank,
              errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
              errorMessage: d === null ? `Group ${groupId} not found.` : `Group ${groupId} is not a consumer group.`,
            };
          const g = d.group;
          const topicIds = new Set<string>();
          for (const m of g.members.values())
            for (const a of [m.assigned, g.target.get(m.memberId)]) for (const id of a?.keys() ?? []) topicIds.add(id);
          for (const id of topicIds) {
            const name = image.topicsById.get(id)?.name;
            if (name !== undefined && !authorizedTopic(ctx, AclOperation.DESCRIBE, name))
              return {
                ...blank,
                errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                errorMessage: 'The group has described topic(s) that the client is not authorized to describe.',
              };
          }
          return {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            groupId,
            groupState: d.state,
            groupEpoch: g.groupEpoch,
            assignmentEpoch: g.assignmentEpoch,
            assignorName: d.assignor,
            members: [...g.members.values()].map((m) => ({
              memberId: m.memberId,
              instanceId: m.instanceId,
              rackId: m.rackId,
              memberEpoch: m.memberEpoch,
              clientId: m.clientId,
              clientHost: m.clientHost,
              subscribedTopicNames: m.subscribedTopicNames,
              subscribedTopicRegex: m.subscribedTopicRegex,
              assignment: named(m.assigned),
              targetAssignment: named(g.target.get(m.memberId)),
              memberType: CONSUMER_MEMBER,
            })),
            authorizedOperations: req.includeAuthorizedOperations
              ? authorizedOperations(ctx, ResourceType.GROUP, groupId)
              : NO_OPS,
          };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { ...blank, errorCode: e.code, errorMessage: e.message };
        }
      }),
    };
  },
});
