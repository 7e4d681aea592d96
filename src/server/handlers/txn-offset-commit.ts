// TxnOffsetCommit (28): offsets committed inside a transaction; the group coordinator holds them until the
// transaction's marker (visible on COMMIT, dropped on ABORT). From v5 (transaction version 2, KIP-890 part 2) the
// request also adds the group's __consumer_offsets partition to the transaction, as AddOffsetsToTxn did; from v6
// topics are named by id (UNKNOWN_TOPIC_ID for an id the cluster does not know).
import type { CommitPartition } from '../../coordinator/group/shard.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTopic, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { PartitionErrors } from './partition-errors.ts';
import { fencedFor, txnAwait } from './txn-common.ts';

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  versions: [0, 6],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const pid = Number(req.producerId);
    const errors = new PartitionErrors();
    const valid: CommitPartition[] = [];
    // v6+: a topic is its id, resolved to its name (an unknown id keys its errors by the id: no name has a ':').
    const topics =
      v >= 6
        ? req.topics.map((t) => ({ ...t, name: image.topicsById.get(t.topicId)?.name ?? `id:${t.topicId}` }))
        : req.topics;
    // ACLs (when an authorizer is on): WRITE on the transactional id, READ on the group, READ on each topic (a v6 id
    // the cluster does not know names no topic to check: it stays UNKNOWN_TOPIC_ID).
    const denied = !authorizedTransactionalId(ctx, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !authorizedGroup(ctx, AclOperation.READ, req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : undefined;
    for (const t of topics) {
      const topic = image.topics.get(t.name);
      const code =
        denied ??
        ((v < 6 || topic !== undefined) && !authorizedTopic(ctx, AclOperation.READ, t.name)
          ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : undefined);
      for (const p of t.partitions) {
        if (code !== undefined) {
          errors.set(t.name, p.partitionIndex, code);
          continue;
        }
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          const unknown = v >= 6 && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          errors.set(t.name, p.partitionIndex, unknown);
          continue;
        }
        valid.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          leaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          expireTimestamp: -1,
        });
      }
    }
    const all = (code: number) => {
      for (const p of valid) errors.set(p.topic, p.partition, code);
    };
    // v5+ (transaction version 2) adds the group's offsets partition to the transaction; older versions check it was
    // added — with the transaction coordinator, here or on another broker.
    const check = await txnAwait(() =>
      ctx.broker.transactions.beforeTxnOffsetCommit(req.transactionalId, pid, req.producerEpoch, req.groupId, v >= 5),
    );
    if (check !== ErrorCode.NONE) all(fencedFor(check, v, 3));
    else if (valid.length > 0) {
      try {
        const results = await ctx.broker.groups.commitTransactionalOffsets(
          {
            groupId: req.groupId,
            generationId: v >= 3 ? req.generationIdOrMemberEpoch : -1,
            memberId: v >= 3 ? req.memberId : '',
            groupInstanceId: v >= 3 ? req.groupInstanceId : null,
            partitions: valid,
            transactional: true,
          },
          pid,
          req.producerEpoch,
        );
        for (const r of results) errors.set(r.topic, r.partition, r.errorCode);
      } catch (e) {
        if (!(e instanceof KafkaError)) throw e;
        all(e.code);
      }
    }
    return {
      throttleTimeMs: 0,
      topics: errors.response(topics).map((t, i) => ({ ...t, topicId: req.topics[i]!.topicId })),
    };
  },
});
