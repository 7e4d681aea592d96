// OffsetCommit (8): v0 simple commits, v1 per-partition timestamps, v2-4 retention time, v7+ group instance id,
// v9+ the member epoch of consumer-protocol groups in the generation field (STALE_MEMBER_EPOCH), v10+ topics named
// by id (KIP-848): an id the cluster does not know is UNKNOWN_TOPIC_ID.

import type { CommitPartition } from '../../coordinator/group/shard.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { PartitionErrors } from './partition-errors.ts';

/** The name of topic `id`, or a key no topic name can be (topic names never contain ':'). */
const byId = (image: MetadataImage, id: string): string => image.topicsById.get(id)?.name ?? `id:${id}`;

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  versions: [0, 10],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const now = ctx.broker.clock();
    const errors = new PartitionErrors();
    const valid: CommitPartition[] = [];
    const retention = v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1;
    // From v10 a topic is its id: resolved to its name here (an unknown id keys its errors by the id).
    const topics = v >= 10 ? req.topics.map((t) => ({ ...t, name: byId(image, t.topicId) })) : req.topics;
    // ACLs (when an authorizer is on): READ on the group, then READ on each topic (a v10 id the cluster does not
    // know names no topic to check: it stays UNKNOWN_TOPIC_ID).
    const groupDenied = !authorizedGroup(ctx, AclOperation.READ, req.groupId);
    for (const t of topics) {
      const topic = image.topics.get(t.name);
      const topicDenied =
        !groupDenied && (v < 10 || topic !== undefined) && !authorizedTopic(ctx, AclOperation.READ, t.name);
      for (const p of t.partitions) {
        if (groupDenied || topicDenied) {
          const code = groupDenied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          errors.set(t.name, p.partitionIndex, code);
          continue;
        }
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          errors.set(
            t.name,
            p.partitionIndex,
            v >= 10 && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          );
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
        const results = await ctx.broker.groups.commitOffsets({
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
      topics: errors.response(topics).map((t, i) => ({ ...t, topicId: req.topics[i]!.topicId })),
    };
  },
});
