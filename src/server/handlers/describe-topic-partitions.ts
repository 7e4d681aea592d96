// DescribeTopicPartitions (75): topic and partition leadership, paginated. Kafka 3.9+/4.x `kafka-topics.sh
// --describe` uses it instead of Metadata. Topics come sorted by name; at most response_partition_limit partitions
// (capped at max.request.partition.size.limit, 2000 in Kafka) are answered, and next_cursor names where the next
// request continues. Listing every topic (no names given) skips topics that cannot be described, as Kafka does.

import { validateTopicName } from '../../metadata/controller.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse,
} from '../../protocol/generated/messages.ts';
import { UUID_ZERO } from '../../protocol/io.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { INTERNAL_TOPICS } from './metadata.ts';

type TopicOut = Encodable<DescribeTopicPartitionsResponse['topics'][number]>;

/** Kafka's max.request.partition.size.limit default: the most partitions one response carries. */
export const MAX_RESPONSE_PARTITIONS = 2000;

export default defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  apiKey: ApiKey.DescribeTopicPartitions,
  versions: [0, 0],
  handle(ctx, req) {
    const image = ctx.broker.metadata();
    const cursor = req.cursor;
    const fetchAll = req.topics.length === 0;
    const invalidCursor =
      cursor !== null &&
      (cursor.partitionIndex < 0 || (!fetchAll && !req.topics.some((t) => t.name === cursor.topicName)));
    if (invalidCursor) {
      // Kafka: the cursor's partition must be valid and its topic among those asked for. The error response gives
      // every requested topic the error (the response has no top-level code).
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          errorCode: ErrorCode.INVALID_REQUEST,
          name: t.name,
          topicId: UUID_ZERO,
          isInternal: false,
          partitions: [],
        })),
        nextCursor: null,
      };
    }
    const after = cursor?.topicName ?? '';
    // ACLs (when an authorizer is on): as Metadata, a listing leaves out topics one may not DESCRIBE, and a named
    // one answers TOPIC_AUTHORIZATION_FAILED whether it exists or not.
    const names = (fetchAll ? [...image.topics.keys()] : [...new Set(req.topics.map((t) => t.name))]).filter(
      (n) => !fetchAll || authorizedTopic(ctx, AclOperation.DESCRIBE, n),
    );
    const sorted = names.filter((n) => n >= after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let budget = Math.max(Math.min(MAX_RESPONSE_PARTITIONS, req.responsePartitionLimit), 1);
    const topics: TopicOut[] = [];
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of sorted) {
      const t = image.topics.get(name);
      if (budget === 0 && (t || !fetchAll)) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      if (!fetchAll && !authorizedTopic(ctx, AclOperation.DESCRIBE, name)) {
        topics.push({
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          name,
          topicId: UUID_ZERO,
          isInternal: false,
          partitions: [],
        });
        continue;
      }
      if (!t) {
        if (fetchAll) continue;
        topics.push({
          errorCode:
            validateTopicName(name) !== null ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          name,
          topicId: UUID_ZERO,
          isInternal: false,
          partitions: [],
        });
        continue;
      }
      const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
      const parts = t.partitions.filter((p) => p.partition >= start).sort((a, b) => a.partition - b.partition);
      const taken = parts.slice(0, budget);
      budget -= taken.length;
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.id,
        isInternal: INTERNAL_TOPICS.has(name),
        partitions: taken.map((p) => {
          const live = (id: number) => image.brokers.get(id)?.fenced === false;
          const leaderAlive = live(p.leader);
          return {
            errorCode: leaderAlive ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
            partitionIndex: p.partition,
            leaderId: leaderAlive ? p.leader : -1,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: [...p.replicas],
            isrNodes: [...p.isr],
            // KIP-966's eligible leader replicas and last known leader as the controller keeps them (empty when
            // eligible.leader.replicas.version is 0, and on a single node).
            eligibleLeaderReplicas: [...(p.elr ?? [])],
            lastKnownElr: [...(p.lastKnownElr ?? [])],
            offlineReplicas: p.replicas.filter((r) => !live(r)),
          };
        }),
      });
      if (taken.length < parts.length) {
        nextCursor = { topicName: name, partitionIndex: parts[taken.length]!.partition };
        break;
      }
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
});
