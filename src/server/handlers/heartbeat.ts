// Heartbeat (12): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { ApiKey } from '../../protocol/apis.ts';
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  versions: [0, 4],
  handle(ctx, req) {
    requireGroup(ctx, AclOperation.READ, req.groupId);
    const errorCode = ctx.broker.groups.heartbeat(
      req.groupId,
      req.memberId,
      ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      req.generationId,
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
