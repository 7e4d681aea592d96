// ListOffsets (2): earliest, latest, max timestamp, or the first offset at or after a timestamp.

import { errorOf } from '../../broker/replica-manager.ts';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../protocol/generated/messages.ts';
import { authorizedTopic } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.ListOffsets,
  handle(ctx, req) {
    const { replicas, log } = ctx.broker;
    const v = ctx.apiVersion;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        // ACLs (when an authorizer is on): DESCRIBE on the topic.
        const denied = !authorizedTopic(ctx, AclOperation.DESCRIBE, t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((rp) => {
            const base = {
              partitionIndex: rp.partitionIndex,
              timestamp: -1,
              offset: -1,
              leaderEpoch: -1,
              oldStyleOffsets: [],
            };
            if (denied) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            const p = replicas.get(t.name, rp.partitionIndex);
            if (!p) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            if (rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch)
              return {
                ...base,
                errorCode:
                  rp.currentLeaderEpoch < p.leaderEpoch
                    ? ErrorCode.FENCED_LEADER_EPOCH
                    : ErrorCode.UNKNOWN_LEADER_EPOCH,
              };
            const ts = Number(rp.timestamp);
            if ((ts === -3 && v < 7) || (ts === -4 && v < 8) || ts === -5 || ts < -5)
              return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION };
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
        };
      }),
    };
  },
});
