// TxnOffsetCommit (28): offsets committed inside a transaction; the group coordinator holds them until the
// transaction's marker (visible on COMMIT, dropped on ABORT).
import type { CommitPartition } from '../../coordinator/group/shard.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTopic, authorizedTransactionalId } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { PartitionErrors } from './partition-errors.ts';
import { fencedFor, txnCall } from './txn-common.ts';

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const pid = Number(req.producerId);
    const errors = new PartitionErrors();
    const valid: CommitPartition[] = [];
    // ACLs (when an authorizer is on): WRITE on the transactional id, READ on the group, READ on each topic.
    const denied = !authorizedTransactionalId(ctx, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !authorizedGroup(ctx, AclOperation.READ, req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : undefined;
    for (const t of req.topics) {
      const topic = image.topics.get(t.name);
      const code =
        denied ?? (authorizedTopic(ctx, AclOperation.READ, t.name) ? undefined : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      for (const p of t.partitions) {
        if (code !== undefined) {
          errors.set(t.name, p.partitionIndex, code);
          continue;
        }
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          errors.set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
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
    const check = txnCall(() =>
      ctx.broker.transactions.checkTxnOffsetCommit(req.transactionalId, pid, req.producerEpoch, req.groupId),
    );
    if (check !== ErrorCode.NONE) all(fencedFor(check, v, 3));
    else if (valid.length > 0) {
      try {
        const results = ctx.broker.groups.commitTransactionalOffsets(
          {
            groupId: req.groupId,
            generationId: v >= 3 ? req.generationId : -1,
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
      topics: errors.response(req.topics),
    };
  },
});
