// AlterReplicaLogDirs (34): move a replica to another log directory of this broker. A partition already in the
// asked directory is done (NONE); a directory that is not one of log.dirs is LOG_DIR_NOT_FOUND; a partition this
// broker does not host is REPLICA_NOT_AVAILABLE, as in Kafka's ReplicaManager. Moving a live log between
// directories (Kafka's future log and ReplicaAlterLogDirsThread) is not built: such a partition is answered
// UNSUPPORTED_VERSION (the response has no message field, so the reason is logged) and nothing moves. ALTER on the
// cluster is needed (else every partition answers CLUSTER_AUTHORIZATION_FAILED, as Kafka).

import path from 'node:path';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse>({
  apiKey: ApiKey.AlterReplicaLogDirs,
  versions: [0, 2],
  handle(ctx, req) {
    const configured = new Set(ctx.broker.config.logDirs.map((d) => path.resolve(d)));
    const byTopic = new Map<string, Array<{ partitionIndex: number; errorCode: number }>>();
    const unsupported: string[] = [];
    const allowed = authorizedCluster(ctx, AclOperation.ALTER);
    for (const dir of req.dirs) {
      const target = path.isAbsolute(dir.path) ? path.resolve(dir.path) : null;
      for (const t of dir.topics) {
        const list = byTopic.get(t.name) ?? [];
        byTopic.set(t.name, list);
        for (const index of t.partitions) {
          let code: number = ErrorCode.NONE;
          const part = ctx.broker.replicas.get(t.name, index);
          if (!allowed) code = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
          else if (target === null || !configured.has(target)) code = ErrorCode.LOG_DIR_NOT_FOUND;
          else if (!part) code = ErrorCode.REPLICA_NOT_AVAILABLE;
          else if (path.resolve(path.dirname(part.log.dir)) !== target) {
            code = ErrorCode.UNSUPPORTED_VERSION;
            unsupported.push(`${t.name}-${index}`);
          }
          list.push({ partitionIndex: index, errorCode: code });
        }
      }
    }
    if (unsupported.length > 0)
      ctx.broker.log.warn(
        { partitions: unsupported.slice(0, 20), count: unsupported.length },
        'AlterReplicaLogDirs: moving a replica between log directories is not supported yet; nothing was moved',
      );
    return {
      throttleTimeMs: 0,
      results: [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })),
    };
  },
});
