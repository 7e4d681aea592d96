// AlterPartitionReassignments (45): move a partition's replicas to other brokers. In a cluster the controller
// decides (controller/reassignment.ts, Kafka's KIP-455 state machine: the new replicas are added, the old ones
// removed once every target replica is in the ISR; null replicas cancel). On a single node a target naming brokers
// that are not registered, an empty list or a broker twice is INVALID_REPLICA_ASSIGNMENT (Kafka's controller
// checks); a target equal to the current replicas ([thisBroker]) is a reassignment that completes at once; a
// cancellation finds none in progress.

import type { MetadataImage } from '../../metadata/image.ts';
import { ApiKey } from '../../protocol/apis.ts';
import type { Encodable } from '../../protocol/codec.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
} from '../../protocol/generated/messages.ts';
import { authorizedCluster } from '../../security/authorize.ts';
import { AclOperation } from '../../security/authorizer.ts';
import { defineHandler } from '../handler.ts';

type PartitionOut = Encodable<AlterPartitionReassignmentsResponse['responses'][number]['partitions'][number]>;

/** Kafka's validation of a manual assignment; null when it is acceptable. */
export function checkTargetReplicas(image: MetadataImage, replicas: readonly number[]): string | null {
  if (replicas.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const seen = new Set<number>();
  for (const r of replicas) {
    if (seen.has(r)) return `The manual partition assignment includes the broker ${r} more than once.`;
    seen.add(r);
    if (!image.brokers.has(r))
      return `The manual partition assignment includes broker ${r}, but no such broker is registered.`;
  }
  return null;
}

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: ApiKey.AlterPartitionReassignments,
  versions: [0, 0],
  async handle(ctx, req) {
    if (!authorizedCluster(ctx, AclOperation.ALTER)) {
      // As Kafka: ALTER on the cluster, else the error at the top and on every partition.
      const denied = 'Cluster authorization failed.';
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: denied,
        responses: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: denied,
          })),
        })),
      };
    }
    const image = ctx.broker.metadata();
    const controller = ctx.broker.controller;
    if (controller.alterReassignments) {
      const asked = req.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })),
      );
      const results = await controller.alterReassignments(asked);
      let i = 0;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((): PartitionOut => {
            const r = results[i++]!;
            return { partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage };
          }),
        })),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: req.topics.map((rt) => {
        const t = image.topics.get(rt.name);
        return {
          name: rt.name,
          partitions: rt.partitions.map((rp): PartitionOut => {
            const out = (errorCode: number, errorMessage: string | null) => ({
              partitionIndex: rp.partitionIndex,
              errorCode,
              errorMessage,
            });
            const p = t?.partitions[rp.partitionIndex];
            if (!p) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'The partition does not exist.');
            if (rp.replicas === null)
              return out(
                ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
                `No reassignment of ${rt.name}-${p.partition} is in progress.`,
              );
            const bad = checkTargetReplicas(image, rp.replicas);
            if (bad !== null) return out(ErrorCode.INVALID_REPLICA_ASSIGNMENT, bad);
            const same = rp.replicas.length === p.replicas.length && rp.replicas.every((r, i) => r === p.replicas[i]);
            if (same) return out(ErrorCode.NONE, null);
            return out(
              ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `Moving ${rt.name}-${p.partition} from replicas [${p.replicas.join(',')}] to [${rp.replicas.join(',')}] needs replication, which this broker does not have yet.`,
            );
          }),
        };
      }),
    };
  },
});
