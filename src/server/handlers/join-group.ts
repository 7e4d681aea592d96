// JoinGroup (11): waits (without blocking other connections) until the rebalance completes.
import { ApiKey } from '../../protocol/apis.ts';
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JoinGroup,
  versions: [0, 9],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    requireGroup(ctx, AclOperation.READ, req.groupId);
    const r = await ctx.broker.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout bounds the rebalance.
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      requireKnownMemberId: v >= 4,
      version: v,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members,
    };
  },
});
