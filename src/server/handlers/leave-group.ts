// LeaveGroup (13): v0-2 one member; v3+ a batch by member id or group instance id (KIP-345).
import { ApiKey } from '../../protocol/apis.ts';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  versions: [0, 5],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    requireGroup(ctx, AclOperation.READ, req.groupId);
    const leaving =
      v >= 3
        ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
        : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = await ctx.broker.groups.leaveGroup(req.groupId, leaving);
    if (v < 3) return { throttleTimeMs: 0, errorCode: r.members[0]?.errorCode ?? r.errorCode };
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
});
