// DescribeAcls (29): the stored ACLs matching a filter, grouped by resource pattern. Needs DESCRIBE on the cluster.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, currentAuthorizer } from '../../security/authorize.ts';
import { AclOperation, filterMatches, PatternType } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { NO_AUTHORIZER } from './create-acls.ts';

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKey.DescribeAcls,
  versions: [0, 3],
  handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      resources: [],
    });
    if (currentAuthorizer(ctx) === undefined) return fail(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE))
      return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const filter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: ctx.apiVersion === 0 ? PatternType.LITERAL : req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const groups = new Map<string, DescribeAclsResponse['resources'][number]>();
    for (const acl of ctx.broker.metadata().acls.values()) {
      if (!filterMatches(filter, acl)) continue;
      const key = `${acl.resourceType}\u0000${acl.patternType}\u0000${acl.resourceName}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] };
        groups.set(key, g);
      }
      g.acls.push({
        principal: acl.principal,
        host: acl.host,
        operation: acl.operation,
        permissionType: acl.permissionType,
      });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...groups.values()] };
  },
});
