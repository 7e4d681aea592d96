// DescribeGroups (15): state, protocol, members (with metadata and assignment when Stable). An unknown group is
// Dead with no error before v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043); v6 also carries an error message.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedOperations } from '../../security/authorize.ts';
import { AclOperation, ResourceType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  versions: [0, 6],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        const blank = {
          groupId,
          groupState: 'Dead',
          protocolType: '',
          protocolData: '',
          members: [],
          authorizedOperations: -2147483648,
        };
        try {
          if (groupId === '')
            return { ...blank, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'The group id is empty.' };
          // ACLs (when an authorizer is on): DESCRIBE on the group.
          if (!authorizedGroup(ctx, AclOperation.DESCRIBE, groupId))
            return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          const d = ctx.broker.groups.describeGroup(groupId);
          if (!d)
            return ctx.apiVersion >= 6
              ? { ...blank, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` }
              : { ...blank, errorCode: ErrorCode.NONE };
          return {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            groupId,
            groupState: d.state,
            protocolType: d.protocolType,
            protocolData: d.protocolName,
            members: d.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.metadata,
              memberAssignment: m.assignment,
            })),
            authorizedOperations: req.includeAuthorizedOperations
              ? authorizedOperations(ctx, ResourceType.GROUP, groupId)
              : -2147483648,
          };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { ...blank, groupState: '', errorCode: e.code, errorMessage: e.message };
        }
      }),
    };
  },
});
