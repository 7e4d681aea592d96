// OffsetCommit (8): v0 simple commits, v1 per-partition timestamps, v2-4 retention time, v7+ group instance id,
// v9+ the member epoch of consumer-protocol groups in the generation field (STALE_MEMBER_EPOCH).

import type { CommitPartition } from '../../coordinator/group/shard.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { PartitionErrors } from './partition-errors.ts';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const now = ctx.broker.clock();
    const errors = new PartitionErrors();
    const valid: CommitPartition[] = [];
    const retention = v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1;
    // ACLs (when an authorizer is on): READ on the group, then READ on each topic.
    const groupDenied = !authorizedGroup(ctx, AclOperation.READ, req.groupId);
    for (const t of req.topics) {
      const topic = image.topics.get(t.name);
      const topicDenied = !groupDenied && !authorizedTopic(ctx, AclOperation.READ, t.name);
      for (const p of t.partitions) {
        if (groupDenied || topicDenied) {
          const code = groupDenied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          errors.set(t.name, p.partitionIndex, code);
          continue;
        }
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          errors.set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          continue;
        }
        let expireTimestamp = -1;
        if (retention >= 0) expireTimestamp = now + retention;
        valid.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          expireTimestamp,
        });
      }
    }
    if (req.groupId === '') {
      for (const p of valid) errors.set(p.topic, p.partition, ErrorCode.INVALID_GROUP_ID);
    } else if (valid.length > 0) {
      try {
        const results = ctx.broker.groups.commitOffsets({
          groupId: req.groupId,
          generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
          memberId: v >= 1 ? req.memberId : '',
          groupInstanceId: v >= 7 ? req.groupInstanceId : null,
          partitions: valid,
          apiVersion: v,
        });
        for (const r of results) errors.set(r.topic, r.partition, r.errorCode);
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        for (const p of valid) errors.set(p.topic, p.partition, e.code);
      }
    }
    return {
      throttleTimeMs: 0,
      topics: errors.response(req.topics),
    };
  },
});
