// DeleteGroups (42): empty groups only (NON_EMPTY_GROUP otherwise); their offsets go too (for a share group, its
// share-partition state). v3 adds a message to each failed group's result.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

/** Why a group was not deleted, for v3's ErrorMessage (null when it was). */
function failure(groupId: string, code: number): string | null {
  switch (code) {
    case ErrorCode.NONE:
      return null;
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return `Group ${groupId} not found.`;
    case ErrorCode.NON_EMPTY_GROUP:
      return `Group ${groupId} is not empty: it still has members.`;
    default:
      return `Group ${groupId} was not deleted: ${errorName(code)}.`;
  }
}

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  versions: [0, 3],
  async handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      results: await Promise.all(
        req.groupsNames.map(async (groupId) => {
          if (groupId === '')
            return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'The group id is empty.' };
          // ACLs (when an authorizer is on): DELETE on the group.
          if (!authorizedGroup(ctx, AclOperation.DELETE, groupId))
            return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          try {
            // A share group: one stored here (loaded with its __consumer_offsets partition), or one that is
            // no classic or consumer group and has share-partition state on some share coordinator.
            let errorCode = ctx.broker.shares.groups.groups.has(groupId)
              ? await ctx.broker.shares.deleteGroup(groupId)
              : await ctx.broker.groups.deleteGroup(groupId);
            if (errorCode === ErrorCode.GROUP_ID_NOT_FOUND && (await ctx.broker.shares.restore(groupId))) {
              errorCode = await ctx.broker.shares.deleteGroup(groupId);
            }
            return { groupId, errorCode, errorMessage: failure(groupId, errorCode) };
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return { groupId, errorCode: e.code, errorMessage: e.message };
          }
        }),
      ),
    };
  },
});
