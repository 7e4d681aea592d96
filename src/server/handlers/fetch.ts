// Fetch (1): long-poll reads for consumers. Versions 0-3 get message sets down-converted to magic 0/1.
// Incremental fetch sessions (KIP-227) are not kept: we answer session id 0, so clients send full fetches.
// In a cluster a fetch with a replica id is a follower's (see ReplicaManager.readForFollower): it reads to the log
// end and may answer a diverging epoch.

import type { FetchPartitionRequest } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { FetchRequest, FetchResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { fetchQuotaCap } from '../throttle.ts';

type TopicOut = Encodable<FetchResponse['responses'][number]>;

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: ApiKey.Fetch,
  // v18 adds the follower's high watermark to each partition (KIP-1166), which only replica fetches fill in: a
  // consumer's fetch leaves it at its default and nothing here reads it.
  versions: [0, 18],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const magic = v <= 1 ? 0 : v <= 3 ? 1 : 2;
    const wanted: FetchPartitionRequest[] = [];
    const layout: Array<{
      topic: string;
      topicId: string;
      unknownId: boolean;
      denied: boolean;
      partitions: number[];
    }> = [];
    // ACLs (when an authorizer is on): READ on each topic; a fetch posing as a follower needs CLUSTER_ACTION
    // (CVE-2018-1288).
    const follower = (v >= 15 ? req.replicaState?.replicaId : req.replicaId) ?? -1;
    const followerDenied = follower >= 0 && !authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
    for (const t of req.topics) {
      let name = t.topic;
      let unknownId = false;
      if (v >= 13) {
        const info = image.topicsById.get(t.topicId);
        unknownId = !info;
        name = info?.name ?? '';
      }
      const denied = !unknownId && (followerDenied || !authorizedTopic(ctx, AclOperation.READ, name));
      layout.push({
        topic: name,
        topicId: t.topicId,
        unknownId,
        denied,
        partitions: t.partitions.map((p) => p.partition),
      });
      if (unknownId || denied) continue;
      for (const p of t.partitions)
        wanted.push({
          topic: name,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          maxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
          lastFetchedEpoch: v >= 12 ? p.lastFetchedEpoch : -1,
        });
    }
    // A consumer under a consumer_byte_rate quota gets at most what the quota window allows (Kafka's cap).
    const quotaCap =
      follower >= 0
        ? 0x7fffffff
        : fetchQuotaCap(ctx.broker.quotas, image.clientQuotas, ctx.connection, ctx.header.clientId);
    const maxBytes = Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, Math.floor(quotaCap));
    const fetched = await ctx.broker.replicas.fetch({
      partitions: wanted,
      maxWaitMs: Math.max(0, req.maxWaitMs),
      minBytes: Math.min(req.minBytes, maxBytes),
      maxBytes,
      magic,
      readCommitted: v >= 4 && req.isolationLevel === 1,
      // A follower broker (replication, cluster mode): ReplicaState from v15, replica_id before.
      replicaId: v >= 15 ? req.replicaState.replicaId : req.replicaId,
    });
    ctx.onResponseSent(fetched.release); // the records are pooled memory, referenced by the response until written
    const results = fetched.partitions;
    let i = 0;
    const responses: TopicOut[] = layout.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((partitionIndex) => {
        if (t.unknownId || t.denied)
          return {
            partitionIndex,
            errorCode: t.denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_ID,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            records: null,
          };
        const r = results[i++]!;
        return {
          partitionIndex,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark ?? -1,
          lastStableOffset: r.lastStableOffset ?? -1,
          logStartOffset: r.logStartOffset ?? -1,
          abortedTransactions:
            v >= 4
              ? (r.abortedTransactions ?? []).map((a) => ({
                  producerId: BigInt(a.producerId),
                  firstOffset: BigInt(a.firstOffset),
                }))
              : null,
          divergingEpoch:
            r.divergingEpoch !== undefined
              ? { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) }
              : undefined,
          preferredReadReplica: -1,
          records: r.records ?? Buffer.alloc(0),
        };
      }),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
  },
});
