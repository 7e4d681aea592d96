// DeleteShareGroupOffsets (92): an empty share group's share-partition state of the given topics goes
// (kafka-share-groups.sh --delete-offsets, Admin.deleteShareGroupOffsets; coordinator/share/offsets.ts). Unknown group:
// GROUP_ID_NOT_FOUND; with members: NON_EMPTY_GROUP. ACLs: DELETE on the group, READ on each topic. Off
// (UNSUPPORTED_VERSION) unless share.version is finalized at 1+.
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode, errorName, KafkaError } from '../../protocol/errors.ts';
import type {
  DeleteShareGroupOffsetsRequest,
  DeleteShareGroupOffsetsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';
import { shareOffsetsRefusal } from './share-common.ts';

export default defineHandler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse>({
  apiKey: ApiKey.DeleteShareGroupOffsets,
  versions: [0, 0],
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      responses: [],
    });
    const refused = shareOffsetsRefusal(ctx, req.groupId, AclOperation.DELETE);
    if (refused !== null) return fail(refused.errorCode, refused.errorMessage);
    const mayRead = (t: string) => authorizedTopic(ctx, AclOperation.READ, t);
    const names = req.topics.map((t) => t.topicName);
    let r: Awaited<ReturnType<typeof ctx.broker.shares.deleteOffsets>>;
    try {
      r = await ctx.broker.shares.deleteOffsets(req.groupId, names.filter(mayRead));
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      return fail(e.code, e.message);
    }
    const denied = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    for (const topicName of names) {
      if (mayRead(topicName)) continue;
      r.responses.push({
        topicName,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        errorCode: denied,
        errorMessage: errorName(denied),
      });
    }
    return { throttleTimeMs: 0, ...r };
  },
});
