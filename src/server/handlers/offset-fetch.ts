// OffsetFetch (9): v0-7 one group (topics null = all, v2+), v8+ several groups. With require_stable (v7+), a
// partition whose offset was committed in a still-open transaction answers UNSTABLE_OFFSET_COMMIT. v10+ names topics
// by id (KIP-848): an unknown id answers UNKNOWN_TOPIC_ID on its partitions; a committed topic the cluster no longer
// has (deleted) is left out of an all-topics answer, having no id.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/generated/messages.ts';
import { requireGroup } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler, type RequestContext } from '../handler.ts';

type Topics = Array<{ name: string; partitionIndexes: number[] }> | null;
type TopicOut = OffsetFetchResponse['topics'][number];

function fetchGroup(
  ctx: RequestContext,
  groupId: string,
  topics: Topics,
  member: { memberId: string | null; memberEpoch: number } | null = null,
  requireStable = false,
): { errorCode: number; topics: TopicOut[] } {
  const wanted = topics?.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))) ?? null;
  let found: ReturnType<typeof ctx.broker.groups.fetchOffsets>;
  try {
    if (groupId === '') throw new KafkaError(ErrorCode.INVALID_GROUP_ID, 'empty group id');
    requireGroup(ctx, AclOperation.DESCRIBE, groupId);
    if (member !== null) {
      // v9+: members of consumer-protocol groups name themselves (UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH).
      const code = ctx.broker.groups.validateFetchMember(groupId, member.memberId, member.memberEpoch);
      if (code !== ErrorCode.NONE) throw new KafkaError(code, 'member check failed');
    }
    found = ctx.broker.groups.fetchOffsets(groupId, wanted);
  } catch (e) {
    if (!(e instanceof KafkaError)) throw e;
    return {
      errorCode: e.code,
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: e.code,
        })),
      })),
    };
  }
  const unstable = requireStable ? ctx.broker.groups.pendingTransactionalOffsets(groupId) : new Set<string>();
  if (unstable.size > 0) {
    const have = new Set(found.map((o) => `${o.topic}\0${o.partition}`));
    for (const w of wanted ?? []) {
      if (!have.has(`${w.topic}\0${w.partition}`))
        found.push({ topic: w.topic, partition: w.partition, offset: -1, leaderEpoch: -1, metadata: '' });
    }
  }
  const byTopic = new Map<string, TopicOut>();
  for (const o of found) {
    let t = byTopic.get(o.topic);
    if (!t) {
      t = { name: o.topic, partitions: [] };
      byTopic.set(o.topic, t);
    }
    const pending = unstable.has(`${o.topic}\0${o.partition}`);
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: pending ? -1n : BigInt(o.offset),
      committedLeaderEpoch: pending ? -1 : o.leaderEpoch,
      metadata: pending ? '' : o.metadata,
      errorCode: pending ? ErrorCode.UNSTABLE_OFFSET_COMMIT : ErrorCode.NONE,
    });
  }
  return { errorCode: ErrorCode.NONE, topics: [...byTopic.values()] };
}

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OffsetFetch,
  versions: [0, 10],
  handle(ctx, req) {
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((g) => {
          const v10 = ctx.apiVersion >= 10;
          const image = ctx.broker.metadata();
          let topics: Topics = g.topics;
          const unknown: Array<{ topicId: string; partitionIndexes: number[] }> = [];
          if (v10 && g.topics !== null) {
            topics = [];
            for (const t of g.topics) {
              const name = image.topicsById.get(t.topicId)?.name;
              if (name === undefined) unknown.push(t);
              else topics.push({ name, partitionIndexes: t.partitionIndexes });
            }
          }
          const r = fetchGroup(
            ctx,
            g.groupId,
            topics,
            ctx.apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null,
            req.requireStable,
          );
          if (!v10) return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
          const out = r.topics.flatMap((t) => {
            const topicId = image.topics.get(t.name)?.id;
            return topicId === undefined ? [] : [{ ...t, topicId }];
          });
          for (const u of unknown)
            out.push({
              name: '',
              topicId: u.topicId,
              partitions: u.partitionIndexes.map((partitionIndex) => ({
                partitionIndex,
                committedOffset: -1n,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
              })),
            });
          return { groupId: g.groupId, errorCode: r.errorCode, topics: out };
        }),
      };
    }
    const r = fetchGroup(
      ctx,
      req.groupId,
      ctx.apiVersion >= 2 ? req.topics : (req.topics ?? []),
      null,
      req.requireStable,
    );
    // v0-1 have no top-level error: coordinator errors go on every partition.
    return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics };
  },
});
