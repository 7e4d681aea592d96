// ListGroups (16): v4+ filter by state, v5+ by group type ('classic', 'consumer' or 'share').
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, authorizedGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  versions: [0, 5],
  handle(ctx, req) {
    const states = ctx.apiVersion >= 4 ? new Set(req.statesFilter.map((s) => s.toLowerCase())) : new Set<string>();
    const types = ctx.apiVersion >= 5 ? new Set(req.typesFilter.map((s) => s.toLowerCase())) : new Set<string>();
    const clusterDescribe = authorizedCluster(ctx, AclOperation.DESCRIBE);
    const groups = [...ctx.broker.groups.listGroups(), ...ctx.broker.shares.listGroups()]
      .filter((g) => g.state !== 'Dead')
      .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
      .filter((g) => types.size === 0 || types.has(g.type))
      // ACLs (when an authorizer is on): DESCRIBE on the cluster lists every group, else those one may DESCRIBE.
      .filter((g) => clusterDescribe || authorizedGroup(ctx, AclOperation.DESCRIBE, g.groupId))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: g.state,
        groupType: g.type,
      })),
    };
  },
});
