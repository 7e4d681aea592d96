// CreateAcls (30): ACLs stored in cluster metadata (AccessControlEntryRecord). Needs ALTER on the cluster; without
// an authorizer (authorizer.class.name unset) the answer is SECURITY_DISABLED, as Kafka's.

import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { CreateAclsRequest, CreateAclsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, currentAuthorizer } from '../../security/authorize.ts';
import { AclOperation, PatternType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export const NO_AUTHORIZER = 'No Authorizer is configured on the broker';

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKey.CreateAcls,
  versions: [0, 3],
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      results: req.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (currentAuthorizer(ctx) === undefined) return fail(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!authorizedCluster(ctx, AclOperation.ALTER))
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const acls = req.creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      // v0 has no pattern type: LITERAL.
      patternType: ctx.apiVersion === 0 ? PatternType.LITERAL : c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permissionType: c.permissionType,
    }));
    return { throttleTimeMs: 0, results: await ctx.broker.controller.createAcls(acls) };
  },
});
