// Fetch (1): long-poll reads for consumers. Versions 0-3 get message sets down-converted to magic 0/1.
// Incremental fetch sessions (KIP-227, v7+) are kept in the broker's FetchSessionCache (server/fetch-sessions.ts):
// a session's fetch reads all its partitions and answers only those with something new.
// In a cluster a fetch with a replica id is a follower's (see ReplicaManager.readForFollower): it reads to the log
// end and may answer a diverging epoch.

import type { FetchPartitionRequest, FetchPartitionResult } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { FetchRequest, FetchResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import type { FetchContext, PartitionAnswerSummary, SessionPartition } from '../fetch-sessions.ts';
import { defineHandler } from '../handler.ts';
import { fetchQuotaCap } from '../throttle.ts';

type TopicOut = Encodable<FetchResponse['responses'][number]>;
type PartitionOut = NonNullable<TopicOut['partitions']>[number];

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: ApiKey.Fetch,
  // v18 adds the follower's high watermark to each partition (KIP-1166), which only replica fetches fill in: a
  // consumer's fetch leaves it at its default and nothing here reads it.
  versions: [0, 18],
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const image = ctx.broker.metadata();
    const magic = v <= 1 ? 0 : v <= 3 ? 1 : 2;
    const byId = v >= 13;
    const follower = (v >= 15 ? req.replicaState?.replicaId : req.replicaId) ?? -1;
    const requested: SessionPartition[] = [];
    for (const t of req.topics)
      for (const p of t.partitions)
        requested.push({
          topicId: byId ? t.topicId : '',
          topic: byId ? '' : t.topic,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          maxBytes: p.partitionMaxBytes,
          currentLeaderEpoch: p.currentLeaderEpoch,
          lastFetchedEpoch: v >= 12 ? p.lastFetchedEpoch : -1,
          logStartOffset: v >= 5 ? Number(p.logStartOffset) : -1,
          highWatermark: -1,
          lastStableOffset: -1,
          localLogStartOffset: -1,
        });
    const sessions = ctx.broker.fetchSessions;
    const context: FetchContext =
      v < 7
        ? { kind: 'sessionless', partitions: requested }
        : sessions.newContext({
            sessionId: req.sessionId,
            sessionEpoch: req.sessionEpoch,
            privileged: follower >= 0,
            usesTopicIds: byId,
            partitions: requested,
            forgotten: req.forgottenTopicsData.flatMap((f) =>
              f.partitions.map((partition) => ({
                topicId: byId ? f.topicId : '',
                topic: byId ? '' : f.topic,
                partition,
              })),
            ),
          });
    if (context.kind === 'error') {
      ctx.broker.log.debug({ error: context.errorCode, reason: context.message }, 'fetch session refused');
      return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: 0, responses: [] };
    }
    const partitions = context.partitions;
    // ACLs (when an authorizer is on): READ on each topic; a fetch posing as a follower needs CLUSTER_ACTION
    // (CVE-2018-1288). Decided once per topic.
    const followerDenied = follower >= 0 && !authorizedCluster(ctx, AclOperation.CLUSTER_ACTION);
    const names: string[] = [];
    const refused: number[] = []; // per partition: 0, or the error answered without reading
    const allowed = new Map<string, boolean>();
    const wanted: FetchPartitionRequest[] = [];
    for (const p of partitions) {
      const name = byId ? (image.topicsById.get(p.topicId)?.name ?? '') : p.topic;
      names.push(name);
      if (byId && name === '') {
        refused.push(ErrorCode.UNKNOWN_TOPIC_ID);
        continue;
      }
      let ok = allowed.get(name);
      if (ok === undefined) {
        ok = !followerDenied && authorizedTopic(ctx, AclOperation.READ, name);
        allowed.set(name, ok);
      }
      if (!ok) {
        refused.push(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        continue;
      }
      refused.push(0);
      wanted.push({
        topic: name,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.maxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: p.logStartOffset,
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
      replicaId: follower,
      // KIP-392 (v11+): a consumer's fetch may be served by a follower, or pointed to one in its rack.
      clientRack: v >= 11 && follower < 0 ? (req.rackId ?? '') : undefined,
    });
    ctx.onResponseSent(fetched.release); // the records are pooled memory, referenced by the response until written
    const results = fetched.partitions;
    const outs: PartitionOut[] = [];
    const summaries: PartitionAnswerSummary[] = [];
    let i = 0;
    for (let k = 0; k < partitions.length; k++) {
      const partitionIndex = partitions[k]!.partition;
      const code = refused[k]!;
      const r: FetchPartitionResult = code !== 0 ? { errorCode: code } : results[i++]!;
      const records = r.records ?? Buffer.alloc(0);
      outs.push({
        partitionIndex,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark ?? -1,
        lastStableOffset: r.lastStableOffset ?? -1,
        logStartOffset: r.logStartOffset ?? -1,
        abortedTransactions: code !== 0 ? null : v >= 4 ? (r.abortedTransactions ?? []).map(abortedOut) : null,
        divergingEpoch:
          r.divergingEpoch !== undefined
            ? { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) }
            : undefined,
        preferredReadReplica: r.preferredReadReplica ?? -1,
        records: code !== 0 ? null : records,
      });
      summaries.push({
        errorCode: r.errorCode,
        highWatermark: r.highWatermark ?? -1,
        lastStableOffset: r.lastStableOffset ?? -1,
        logStartOffset: r.logStartOffset ?? -1,
        recordBytes: records.length,
        diverging: r.divergingEpoch !== undefined,
        preferredReadReplica: r.preferredReadReplica ?? -1,
      });
    }
    let sessionId = 0;
    let keep: boolean[] | undefined;
    if (context.kind === 'full') sessionId = sessions.createSession(follower >= 0, byId, partitions, summaries);
    else if (context.kind === 'incremental') {
      sessionId = context.sessionId;
      keep = partitions.map((p, k) => sessions.respond(context.sessionId, p, summaries[k]!));
    }
    // Consecutive partitions of one topic share a topic entry, as Kafka's responses group them.
    const responses: TopicOut[] = [];
    let last: { topic: string; topicId: string; partitions: PartitionOut[] } | undefined;
    let lastKey = '';
    for (let k = 0; k < partitions.length; k++) {
      if (keep !== undefined && !keep[k]) continue;
      const p = partitions[k]!;
      const key = byId ? p.topicId : names[k]!;
      if (last === undefined || key !== lastKey) {
        last = { topic: names[k]!, topicId: p.topicId, partitions: [] };
        lastKey = key;
        responses.push(last);
      }
      last.partitions.push(outs[k]!);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses };
  },
});

function abortedOut(a: { producerId: number; firstOffset: number }) {
  return { producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) };
}
