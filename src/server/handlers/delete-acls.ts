// DeleteAcls (31): removes every stored ACL each filter matches and returns them. Needs ALTER on the cluster.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, currentAuthorizer } from '../../security/authorize.ts';
import { AclOperation, PatternType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { NO_AUTHORIZER } from './create-acls.ts';

export default defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKey.DeleteAcls,
  versions: [0, 3],
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (currentAuthorizer(ctx) === undefined) return fail(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!authorizedCluster(ctx, AclOperation.ALTER))
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const filters = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: ctx.apiVersion === 0 ? PatternType.LITERAL : f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    const removed = await ctx.broker.controller.deleteAcls(filters);
    return {
      throttleTimeMs: 0,
      filterResults: removed.map((acls) => ({
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: acls.map((a) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...a })),
      })),
    };
  },
});
