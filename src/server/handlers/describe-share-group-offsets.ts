// DescribeShareGroupOffsets (90): each share group's start offset, leader epoch and (v1, KIP-1226) lag per
// share-partition, from the share coordinator's persisted state (coordinator/share/offsets.ts). Topics null: every
// share-partition with state. ACLs: DESCRIBE on the group, DESCRIBE on each topic (else TOPIC_AUTHORIZATION_FAILED on
// its partitions). Off (UNSUPPORTED_VERSION for each group) unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type {
  DescribeShareGroupOffsetsRequest,
  DescribeShareGroupOffsetsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedGroup, authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { shareGroupsDisabled } from './share-common.ts';

export default defineHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>({
  apiKey: ApiKey.DescribeShareGroupOffsets,
  versions: [0, 1],
  async handle(ctx, req) {
    const off = shareGroupsDisabled(ctx);
    const denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    return {
      throttleTimeMs: 0,
      groups: await Promise.all(
        req.groups.map(async (g) => {
          const fail = (errorCode: number, errorMessage: string) => ({
            groupId: g.groupId,
            topics: [],
            errorCode,
            errorMessage,
          });
          if (off !== null) return fail(ErrorCode.UNSUPPORTED_VERSION, off);
          if (!authorizedGroup(ctx, AclOperation.DESCRIBE, g.groupId)) {
            return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, `Not authorized to access group: ${g.groupId}`);
          }
          const mayDescribe = (t: string) => authorizedTopic(ctx, AclOperation.DESCRIBE, t);
          const wanted = g.topics?.filter((t) => mayDescribe(t.topicName)) ?? null;
          let r: Awaited<ReturnType<typeof ctx.broker.shares.describeOffsets>>;
          try {
            r = await ctx.broker.shares.describeOffsets(g.groupId, wanted);
          } catch (e) {
            if (!(e instanceof KafkaError)) throw e;
            return fail(e.code, e.message);
          }
          if (r.errorCode !== ErrorCode.NONE) return fail(r.errorCode, r.errorMessage ?? errorName(r.errorCode));
          const topics = r.topics.filter((t) => mayDescribe(t.topicName));
          for (const t of g.topics ?? []) {
            if (mayDescribe(t.topicName)) continue;
            topics.push({
              topicName: t.topicName,
              topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
              partitions: t.partitions.map((partitionIndex) => ({
                partitionIndex,
                startOffset: -1,
                leaderEpoch: -1,
                lag: -1,
                errorCode: denied,
                errorMessage: errorName(denied),
              })),
            });
          }
          return {
            groupId: g.groupId,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            topics: topics.map((t) => ({
              topicName: t.topicName,
              topicId: t.topicId,
              partitions: t.partitions.map((p) => ({ ...p, startOffset: BigInt(p.startOffset), lag: BigInt(p.lag) })),
            })),
          };
        }),
      ),
    };
  },
});
