// OffsetForLeaderEpoch (23): where a leader epoch ends in a partition's log, from its leader-epoch cache. Consumers
// validate their positions with it after a leader change (KIP-320); followers find where their log diverges from
// the leader's (KIP-101/279). Answered by the partition's leader only, as Kafka does for every replica_id (v3+:
// -1 for consumers, a broker id for followers; Kafka reads it for nothing else, and neither do we). ACLs as Kafka:
// CLUSTER_ACTION on the cluster (brokers), else DESCRIBE on each topic (consumers, KIP-320), else
// TOPIC_AUTHORIZATION_FAILED for its partitions.

import { errorOf } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

/** What one partition's answer depends on (the handler's pure part, unit-tested). */
export interface EpochLookup {
  /** The hosted replica, if this broker has one. */
  replica?: {
    checkCurrentLeaderEpoch(current: number): number;
    endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number };
  };
  /** The partition exists in the cluster metadata. */
  known: boolean;
  /** This broker leads the partition. */
  isLeader: boolean;
}

export interface EpochEndOffsetAnswer {
  errorCode: number;
  leaderEpoch: number;
  endOffset: number;
}

/**
 * Kafka's order: not hosted here → NOT_LEADER_OR_FOLLOWER when the partition exists, else
 * UNKNOWN_TOPIC_OR_PARTITION; then the current epoch check (FENCED / UNKNOWN_LEADER_EPOCH); then leadership; then
 * the cache. `currentLeaderEpoch` -1 skips the fencing (v0-1 cannot send one).
 */
export function answerPartition(
  lookup: EpochLookup,
  currentLeaderEpoch: number,
  leaderEpoch: number,
  onError: (e: unknown) => number,
): EpochEndOffsetAnswer {
  const fail = (errorCode: number) => ({ errorCode, leaderEpoch: -1, endOffset: -1 });
  const r = lookup.replica;
  if (r === undefined)
    return fail(lookup.known ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const epochError = r.checkCurrentLeaderEpoch(currentLeaderEpoch);
  if (epochError !== ErrorCode.NONE) return fail(epochError);
  if (!lookup.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  try {
    return { errorCode: ErrorCode.NONE, ...r.endOffsetForEpoch(leaderEpoch) };
  } catch (e) {
    return fail(onError(e));
  }
}

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  versions: [0, 4],
  handle(ctx, req) {
    const { replicas, nodeId, log } = ctx.broker;
    const image = ctx.broker.metadata();
    const asBroker = authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const topic = image.topics.get(t.topic);
        if (!asBroker && !authorizedTopic(ctx, AclOperation.DESCRIBE, t.topic))
          return {
            topic: t.topic,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
              leaderEpoch: -1,
              endOffset: -1n,
            })),
          };
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const info = topic?.partitions.find((x) => x.partition === p.partition);
            const replica = replicas.get(t.topic, p.partition);
            const a = answerPartition(
              { replica, known: info !== undefined, isLeader: info?.leader === nodeId },
              p.currentLeaderEpoch,
              p.leaderEpoch,
              (e) => errorOf(e, log, `${t.topic}-${p.partition}`).errorCode,
            );
            return {
              partition: p.partition,
              errorCode: a.errorCode,
              leaderEpoch: a.leaderEpoch,
              endOffset: a.endOffset,
            };
          }),
        };
      }),
    };
  },
});
