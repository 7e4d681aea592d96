// ShareFetch (78): share consumers acknowledge records and acquire more on their share session's partitions (KIP-932).
// Served at v0 of Kafka's 2024 definition (what src/protocol/generated holds): no MaxRecords/BatchSize, so at most 500
// records are acquired per partition and fetch. Kafka 4.1+ clients speak v1/v2, which come with the kafka-4.4
// protocol regeneration. When nothing was acquired, the fetch waits up to MaxWaitMs (polling the partitions).
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ShareFetchRequest, ShareFetchResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { authorizeShareTopics, shareAckTopics, shareResponses } from './share-common.ts';

const POLL_MS = 50;

export default defineHandler<ShareFetchRequest, ShareFetchResponse>({
  apiKey: ApiKey.ShareFetch,
  versions: [0, 0],
  async handle(ctx, req) {
    const blank = { throttleTimeMs: 0, responses: [], nodeEndpoints: [] };
    if (!req.groupId || !req.memberId) {
      return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'GroupId and MemberId must be set.' };
    }
    // ACLs (when an authorizer is on): READ on the group, then READ on each topic.
    if (!authorizedGroup(ctx, AclOperation.READ, req.groupId)) {
      const errorMessage = `Not authorized to access group: ${req.groupId}`;
      return { ...blank, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage };
    }
    const wanted = shareAckTopics(req.topics);
    if (typeof wanted === 'string') return { ...blank, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: wanted };
    const { allowed: topics, denied } = authorizeShareTopics(ctx, wanted);
    const parts = ctx.broker.shares.partitions;
    const r = parts.fetch({
      groupId: req.groupId,
      memberId: req.memberId,
      shareSessionEpoch: req.shareSessionEpoch,
      topics,
      forgotten: req.forgottenTopicsData,
      maxBytes: req.maxBytes,
    });
    if (r.errorCode !== ErrorCode.NONE) return { ...blank, errorCode: r.errorCode, errorMessage: r.errorMessage };
    let results = r.partitions;
    const deadline = Date.now() + Math.min(Math.max(0, req.maxWaitMs), 30_000);
    while (req.shareSessionEpoch !== -1 && !results.some((p) => p.acquired.length > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const again = parts.refetch(req.groupId, req.memberId, req.maxBytes);
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
      responses: shareResponses([...results, ...denied], (p) => ({
        partitionIndex: p.partition,
        errorCode: p.errorCode,
        errorMessage: p.errorMessage,
        acknowledgeErrorCode: p.acknowledgeErrorCode,
        acknowledgeErrorMessage: p.acknowledgeErrorMessage,
        currentLeader: { leaderId: ctx.broker.nodeId, leaderEpoch: p.leaderEpoch },
        records: p.records,
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
