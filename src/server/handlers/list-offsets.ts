// ListOffsets (2): earliest, latest, max timestamp, or the first offset at or after a timestamp. The tiered-storage
// points (latest tiered -5 from v9, earliest pending upload -6 from v11) answer offset -1 as Kafka does for a topic
// without remote storage, which every topic here is.

import { errorOf } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.ListOffsets,
  versions: [0, 11],
  handle(ctx, req) {
    const { replicas, log } = ctx.broker;
    const v = ctx.apiVersion;
    // ACLs (when an authorizer is on): DESCRIBE on the topic.
    const denied = new Set(
      req.topics.filter((t) => !authorizedTopic(ctx, AclOperation.DESCRIBE, t.name)).map((t) => t.name),
    );
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((rp) => {
          const base = {
            partitionIndex: rp.partitionIndex,
            timestamp: -1,
            offset: -1,
            leaderEpoch: -1,
            oldStyleOffsets: [],
          };
          if (denied.has(t.name)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          const p = replicas.get(t.name, rp.partitionIndex);
          if (!p) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (!p.isLeader) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
          if (rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch)
            return {
              ...base,
              errorCode:
                rp.currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH,
            };
          const ts = Number(rp.timestamp);
          if ((ts === -3 && v < 7) || (ts === -4 && v < 8) || (ts === -5 && v < 9) || (ts === -6 && v < 11) || ts < -6)
            return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION };
          if (ts === -5 || ts === -6) return { ...base, errorCode: ErrorCode.NONE };
          try {
            const found = p.offsetForTimestamp(ts, v >= 2 && req.isolationLevel === 1);
            if (v === 0) {
              // v0 answers a list of segment offsets; we give the requested point (and the start offset for latest).
              const offs = found ? [found.offset] : [];
              if (ts === -1 && found && found.offset !== p.log.logStartOffset && rp.maxNumOffsets > 1)
                offs.push(p.log.logStartOffset);
              return {
                ...base,
                errorCode: ErrorCode.NONE,
                oldStyleOffsets: offs.slice(0, Math.max(0, rp.maxNumOffsets)),
              };
            }
            return {
              ...base,
              errorCode: ErrorCode.NONE,
              timestamp: found?.timestamp ?? -1,
              offset: found?.offset ?? -1,
              leaderEpoch: found?.leaderEpoch ?? -1,
            };
          } catch (e) {
            return { ...base, errorCode: errorOf(e, log, p.key).errorCode };
          }
        }),
      })),
    };
  },
});
