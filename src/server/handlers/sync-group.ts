// SyncGroup (14): the leader's assignment is stored, then every member gets its own.
import { ApiKey } from '../../protocol/apis.ts';
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  versions: [0, 5],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    requireGroup(ctx, AclOperation.READ, req.groupId);
    const r = await ctx.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      // Copies: the request frame's buffer is not ours to keep.
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment ?? Buffer.alloc(0),
    };
  },
});
