// DeleteGroups (42): empty groups only (NON_EMPTY_GROUP otherwise); their offsets go too.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      results: req.groupsNames.map((groupId) => {
        if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
        // ACLs (when an authorizer is on): DELETE on the group.
        if (!authorizedGroup(ctx, AclOperation.DELETE, groupId))
          return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
        try {
          return { groupId, errorCode: ctx.broker.groups.deleteGroup(groupId) };
        } catch (e) {
          if (!(e instanceof KafkaError)) throw e;
          return { groupId, errorCode: e.code };
        }
      }),
    };
  },
});
