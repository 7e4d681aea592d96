// ShareFetch (78): share consumers acknowledge records and acquire more on their share session's partitions (KIP-932).
// Served at Kafka 4.4's versions: v1 (MaxRecords over the whole fetch, BatchSize cutting the acquired ranges, the
// acquisition lock timeout in the answer) and v2 (ShareAcquireMode, and RENEW acknowledgements with IsRenewAck: such a
// fetch only acknowledges, acquires nothing and does not wait). Either acquire mode honours MaxRecords exactly (records
// are acquired one by one, so batch-optimized never needs to exceed it). When nothing was acquired, the fetch waits up
// to MaxWaitMs (polling the partitions). Off (UNSUPPORTED_VERSION) unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ShareFetchRequest, ShareFetchResponse } from '../../protocol/generated/messages.ts';
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

const POLL_MS = 50;
const NO_RECORDS = Buffer.alloc(0);

export default defineHandler<ShareFetchRequest, ShareFetchResponse>({
  apiKey: ApiKey.ShareFetch,
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
    if (req.shareAcquireMode !== 0 && req.shareAcquireMode !== 1) {
      const errorMessage = `Unknown ShareAcquireMode ${req.shareAcquireMode}.`;
      return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
    }
    const wanted = shareAckTopics(req.topics, maxAcknowledgeType(ctx.apiVersion));
    if (typeof wanted === 'string') return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: wanted };
    const { allowed: topics, denied } = authorizeShareTopics(ctx, wanted);
    const parts = ctx.broker.shares.partitions;
    const r = await parts.fetch({
      groupId: req.groupId,
      memberId: req.memberId,
      shareSessionEpoch: req.shareSessionEpoch,
      topics,
      forgotten: req.forgottenTopicsData,
      maxBytes: req.maxBytes,
      maxRecords: req.maxRecords,
      batchSize: req.batchSize,
      acquireMode: req.shareAcquireMode,
      acknowledgeOnly: req.isRenewAck,
      connectionId: ctx.connection.id,
    });
    if (r.errorCode !== ErrorCode.NONE) return { ...blank, errorCode: r.errorCode, errorMessage: r.errorMessage };
    let results = r.partitions;
    const deadline = Date.now() + Math.min(Math.max(0, req.maxWaitMs), 30_000);
    const limits = {
      maxBytes: req.maxBytes,
      maxRecords: req.maxRecords,
      batchSize: req.batchSize,
      acquireMode: req.shareAcquireMode,
    };
    while (
      req.shareSessionEpoch !== -1 &&
      !req.isRenewAck &&
      !results.some((p) => p.acquired.length > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const again = await parts.refetch(req.groupId, req.memberId, limits);
      // Keep the acknowledgement outcomes of the first attempt; take the records of the new one.
      const byKey = new Map(results.map((p) => [`${p.topicId}\0${p.partition}`, p]));
      for (const p of again) {
        const first = byKey.get(`${p.topicId}\0${p.partition}`);
        byKey.set(
          `${p.topicId}\0${p.partition}`,
          first
            ? {
                ...p,
                acknowledgeErrorCode: first.acknowledgeErrorCode,
                acknowledgeErrorMessage: first.acknowledgeErrorMessage,
              }
            : p,
        );
      }
      results = [...byKey.values()];
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acquisitionLockTimeoutMs: parts.lockDurationMs(req.groupId),
      responses: shareResponses([...results, ...denied], (p) => ({
        partitionIndex: p.partition,
        errorCode: p.errorCode,
        errorMessage: p.errorMessage,
        acknowledgeErrorCode: p.acknowledgeErrorCode,
        acknowledgeErrorMessage: p.acknowledgeErrorMessage,
        currentLeader: { leaderId: ctx.broker.nodeId, leaderEpoch: p.leaderEpoch },
        // Not nullable from v1: a partition without records answers empty ones, as Kafka does.
        records: p.records ?? NO_RECORDS,
        acquiredRecords: p.acquired.map((a) => ({
          firstOffset: BigInt(a.firstOffset),
          lastOffset: BigInt(a.lastOffset),
          deliveryCount: a.deliveryCount,
        })),
      })),
      nodeEndpoints: [],
    };
  },
});
