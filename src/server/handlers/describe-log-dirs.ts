// DescribeLogDirs (35): the log directories of this broker and the size of each partition in them. Needs DESCRIBE
// on the cluster: otherwise no directories, and (v3+) CLUSTER_AUTHORIZATION_FAILED, as Kafka answers.
import { statfsSync } from 'node:fs';
import { ApiKey } from '../../protocol/apis.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: ApiKey.DescribeLogDirs,
  versions: [0, 5],
  handle(ctx, req) {
    if (!authorizedCluster(ctx, AclOperation.DESCRIBE))
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted = req.topics ? new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)])) : null;
    const byDir = new Map<
      string,
      Map<string, Array<{ partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }>>
    >();
    for (const dir of ctx.broker.config.logDirs) byDir.set(dir, new Map());
    for (const p of ctx.broker.replicas.all()) {
      if (wanted && !wanted.get(p.topic)?.has(p.index)) continue;
      const topics = byDir.get(p.log.dir.slice(0, p.log.dir.lastIndexOf('/'))) ?? byDir.values().next().value!;
      const list = topics.get(p.topic) ?? [];
      list.push({ partitionIndex: p.index, partitionSize: p.log.size, offsetLag: 0, isFutureKey: false });
      topics.set(p.topic, list);
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [...byDir].map(([logDir, topics]) => {
        let totalBytes = -1;
        let usableBytes = -1;
        try {
          const s = statfsSync(logDir);
          totalBytes = s.blocks * s.bsize;
          usableBytes = s.bavail * s.bsize;
        } catch {}
        return {
          errorCode: ErrorCode.NONE,
          logDir,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
          totalBytes,
          usableBytes,
          // v5 (KIP-1066): no log directory is ever cordoned here (there is no cordoned.log.dirs).
          isCordoned: false,
        };
      }),
    };
  },
});
