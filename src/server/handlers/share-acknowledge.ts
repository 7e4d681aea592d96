// ShareAcknowledge (79): acknowledgements (ACCEPT, RELEASE, REJECT, or GAP) of records acquired through ShareFetch, on
// an open share session; epoch -1 closes the session. Served at Kafka 4.4's versions: v1, and v2 with RENEW
// acknowledgements (KIP-1222) and the acquisition lock timeout in the answer. Off unless share.version is 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ShareAcknowledgeRequest, ShareAcknowledgeResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import {
  authorizeShareTopics,
  maxAcknowledgeType,
  shareAckTopics,
  shareGroupsDisabled,
  shareResponses,
} from './share-common.ts';

export default defineHandler<ShareAcknowledgeRequest, ShareAcknowledgeResponse>({
  apiKey: ApiKey.ShareAcknowledge,
  versions: [1, 2],
  async handle(ctx, req) {
    const blank = { throttleTimeMs: 0, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
    const off = shareGroupsDisabled(ctx);
    if (off !== null) return { ...blank, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: off };
    if (!req.groupId || !req.memberId) {
      return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'GroupId and MemberId must be set.' };
    }
    // ACLs (when an authorizer is on): READ on the group, then READ on each topic.
    if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) {
      const errorMessage = `Not authorized to access group: ${req.groupId}`;
      return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage };
    }
    const wanted = shareAckTopics(req.topics, maxAcknowledgeType(ctx.apiVersion));
    if (typeof wanted === 'string') return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: wanted };
    const { allowed: topics, denied } = authorizeShareTopics(ctx, wanted);
    const r = await ctx.broker.shares.partitions.acknowledge({
      groupId: req.groupId,
      memberId: req.memberId,
      shareSessionEpoch: req.shareSessionEpoch,
      topics,
    });
    if (r.errorCode !== ErrorCode.NONE) return { ...blank, errorCode: r.errorCode, errorMessage: r.errorMessage };
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acquisitionLockTimeoutMs: ctx.broker.shares.partitions.lockDurationMs(req.groupId),
      responses: shareResponses([...r.partitions, ...denied], (p) => ({
        partitionIndex: p.partition,
        errorCode: p.acknowledgeErrorCode,
        errorMessage: p.acknowledgeErrorMessage,
        currentLeader: { leaderId: ctx.broker.nodeId, leaderEpoch: p.leaderEpoch },
      })),
      nodeEndpoints: [],
    };
  },
});
