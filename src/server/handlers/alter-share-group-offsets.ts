// AlterShareGroupOffsets (91): sets the start offset of an empty share group's share-partitions (kafka-share-groups.sh
// --reset-offsets, Admin.alterShareGroupOffsets): the share coordinator re-initializes each with a new state epoch
// (coordinator/share/offsets.ts). A group with members answers NON_EMPTY_GROUP. ACLs: READ on the group, READ on each
// topic. Off (UNSUPPORTED_VERSION) unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type {
  AlterShareGroupOffsetsRequest,
  AlterShareGroupOffsetsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { shareOffsetsRefusal } from './share-common.ts';

export default defineHandler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse>({
  apiKey: ApiKey.AlterShareGroupOffsets,
  versions: [0, 0],
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      responses: [],
    });
    const refused = shareOffsetsRefusal(ctx, req.groupId, AclOperation.READ);
    if (refused !== null) return fail(refused.errorCode, refused.errorMessage);
    const mayRead = (t: string) => authorizedTopic(ctx, AclOperation.READ, t);
    const topics = req.topics
      .filter((t) => mayRead(t.topicName))
      .map((t) => ({
        topicName: t.topicName,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          startOffset: p.startOffset > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(p.startOffset),
        })),
      }));
    let r: Awaited<ReturnType<typeof ctx.broker.shares.alterOffsets>>;
    try {
      r = await ctx.broker.shares.alterOffsets(req.groupId, topics);
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return fail(e.code, e.message);
    }
    const denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    for (const t of req.topics) {
      if (mayRead(t.topicName)) continue;
      r.responses.push({
        topicName: t.topicName,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: denied,
          errorMessage: errorName(denied),
        })),
      });
    }
    return { throttleTimeMs: 0, ...r };
  },
});
